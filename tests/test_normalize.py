"""Properties of the normaliser: stable, script-independent, never crashes."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from matchers import compile_watchlist, parse_watchlist
from matchers.normalize import ascii_form, light_key, skeletons, tokenize

# Realistic Cyrillic name syllables (consonant + vowel), Russian and Kazakh letters.
CONSONANTS = list("бвгджзклмнпрстфхцчшщқғң")
VOWELS = list("аеиоуыэюяәөұүі")
syllable = st.tuples(st.sampled_from(CONSONANTS), st.sampled_from(VOWELS)).map("".join)


# Transliteration systems we document (README, "Matching"): per letter.
LETTERS = "бвгджзклмнпрстфхцчшщқғңаеиоуыэюяәөұүі"
SYSTEMS = {
    "BGN/PCGN-like": "b v g d zh z k l m n p r s t f kh ts ch sh shch q gh ng a e i o u y e yu ya "
    "a o u u i",
    "Kazakh Latin 2021": "b v g d j z k l m n p r s t f h ts ç ş şş q ğ ñ a e i o u y e iu ia "
    "ä ö ū ü ı",
    "passport (ICAO)": "b v g d zh z k l m n p r s t f kh ts ch sh shch k g n a e i o u y e iu ia "
    "a o u u i",
}


def romanise(word: str, system: str) -> str:
    table = dict(zip(LETTERS, SYSTEMS[system].split(), strict=True))
    return "".join(table.get(c, c) for c in word.lower()).capitalize()


@settings(max_examples=300, deadline=None)
@given(word=st.text(min_size=1, max_size=30))
@example(word="Кулекба́ев")
@example(word="İSAEV")
@example(word="\u00ad\u200b")
@example(word="ZЀ")  # a marked Cyrillic letter beside a Latin one
def test_keys_are_idempotent(word: str) -> None:
    """Normalising an already normalised word changes nothing."""
    assert light_key(light_key(word)) == light_key(word)
    assert ascii_form(ascii_form(word)) == ascii_form(word)
    assert skeletons(ascii_form(word)) == skeletons(word)


@pytest.mark.parametrize("system", sorted(SYSTEMS))
@settings(max_examples=300, deadline=None)
@given(syllables=st.lists(syllable, min_size=2, max_size=4))
def test_skeleton_is_script_independent(system: str, syllables: list[str]) -> None:
    """A Cyrillic name and its romanisation in each documented system share a skeleton."""
    word = "".join(syllables).capitalize()
    latin = romanise(word, system)
    assert set(skeletons(word)) & set(skeletons(latin)), (word, latin)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=400))
def test_matching_never_crashes_on_any_unicode(text: str) -> None:
    """Any text, however odd, tokenises and matches without an exception."""
    matcher = _matcher()
    for token in tokenize(text):
        assert text[token.start : token.end] == token.text
    for match in matcher.match(text[:50], text):
        assert 0 <= match.start < match.end


_MATCHER = None


def _matcher():  # type: ignore[no-untyped-def]
    global _MATCHER
    if _MATCHER is None:
        _MATCHER = compile_watchlist(
            parse_watchlist(
                "defendants:\n  - {id: k, name: Руслан Кулекбаев}\n"
                "cases:\n  - {id: z, name: Zhanaozen, together: [[January, 2022, protests]]}\n"
                "keywords:\n  - {id: v, terms: [приговор, verdict]}\n"
            )
        )
    return _MATCHER
