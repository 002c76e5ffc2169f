"""Look-alike letters: a word typed with letters of another script is still that word.

Kazakh and Ukrainian Cyrillic letters have Latin (and Greek) look-alikes: і/i,
ә/ə, ө/ɵ, ү/y, ұ/ɏ, қ/ⱪ, ң/ŋ, һ/h, besides the ones Russian shares (а/a, е/e,
о/o, р/p, с/c, х/x, у/y, к/k …). Typed inside a Cyrillic word, they must not
hide a keyword or a name; typed inside a Latin word (vеrdict with a Cyrillic е),
the same. Inputs are our own invented names and sentences.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.records import OutletForPoll
from feeds.parse import parse
from feeds.records import FetchedFeed
from matchers import compile_watchlist, is_urgent, parse_watchlist
from matchers.normalize import light_key, light_keys, skeletons

DATA = Path(__file__).parent / "data" / "feeds"
REALWORLD = next(
    (
        p / "shared" / "fixtures" / "realworld"
        for p in Path(__file__).resolve().parents
        if (p / "shared" / "fixtures" / "realworld").is_dir()
    ),
    None,
)
OUTLET = OutletForPoll(
    id="o", name="O", url="https://lookalike.test/rss", lang="kk", every=timedelta(minutes=15)
)

# Every Cyrillic letter with a look-alike, and its look-alikes (this test's own list).
LOOKALIKES = {
    "а": "aα", "е": "eε", "о": "oο", "р": "pρ", "с": "c", "х": "xχ", "у": "y", "к": "kκ",
    "і": "iı", "һ": "h", "ә": "əǝ", "ө": "ɵθ", "ү": "y", "ұ": "ɏ", "қ": "ⱪ", "ң": "ŋⱨ",
    "т": "τ", "А": "AΑ", "В": "BΒ", "Е": "EΕ", "К": "KΚ", "М": "MΜ", "Н": "HΗ", "О": "OΟ",
    "Р": "PΡ", "С": "C", "Т": "TΤ", "Х": "XΧ", "У": "Y", "Ү": "Y", "І": "IӀ", "Ә": "Ə",
    "Ө": "ƟΘ", "Ұ": "Ɏ", "Қ": "Ⱪ", "Ң": "ŊⱧ",
}  # fmt: skip
CYRILLIC = "абвгдежзийклмнопрстуфхцчшщыьэюяәғқңөұүһі"

WATCHLIST = parse_watchlist("""
defendants:
  - {id: samarkanbekov, name: Дәурен Самарқанбеков}
  - {id: boribayeva, name: Әсел Бөрібаева}
  - {id: hnatiuk, name: Остап Гнатюк}
cases:
  - {id: zhanaozen, name: Жаңаөзен}
keywords:
  - {id: verdict, terms: [үкім, вирок, verdict], urgent: true}
  - {id: petition, terms: [өтініш]}
  - {id: defendant, terms: [підсудний]}
  - {id: arrest, terms: [қамау]}
""")
MATCHER = compile_watchlist(WATCHLIST)


def found(text: str) -> set[str]:
    return {m.entry_id for m in MATCHER.match("", text) if m.deliverable}


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_lookalike_inside_a_cyrillic_word_is_folded(data: st.DataObject) -> None:
    """Replace any letters of a Cyrillic word (keeping one) by look-alikes: same keys."""
    word = data.draw(st.text(st.sampled_from(CYRILLIC), min_size=2, max_size=12))
    if data.draw(st.booleans()):
        word = word.capitalize()
    if data.draw(st.booleans()):
        word = word.upper()
    replaceable = [i for i, c in enumerate(word) if c in LOOKALIKES]
    chosen = (
        data.draw(st.sets(st.sampled_from(replaceable), max_size=len(word) - 1))
        if (replaceable)
        else set()
    )
    typed = "".join(
        data.draw(st.sampled_from(LOOKALIKES[c])) if i in chosen else c for i, c in enumerate(word)
    )
    assert light_key(word) in light_keys(typed), typed
    assert set(skeletons(word)) & set(skeletons(typed)), typed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Сот үкiм шығарды.", {"verdict"}),  # Latin i
        ("ҮКIМ ОҚЫЛДЫ", {"verdict"}),  # capital Latin I in capitals
        ("Сот yкімді өзгертпеді.", {"verdict"}),  # Latin y for ү
        ("Ол ɵтiнiш жазды.", {"petition"}),  # barred o, Latin i
        ("Белсенді қамауғa алынды.", {"arrest"}),  # Latin a in the suffix
        ("Белсенді ⱪамауға алынды.", {"arrest"}),  # Latin k with descender
        ("Оголосили вирoк.", {"verdict"}),  # Ukrainian, Latin o
        ("Пiдсудний мовчав.", {"defendant"}),  # Ukrainian і as Latin i
        ("The vеrdict was read.", {"verdict"}),  # Cyrillic е in an English word
        ("Әкiмдiкке шағым түсті.", set()),  # әкімдік is not үкім
        ("The cot was empty; TEXT.", set()),  # Latin words stay Latin
    ],
)
def test_keywords_typed_with_lookalikes(text: str, expected: set[str]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Дəурен Самарқанбековке үкім.", {"samarkanbekov", "verdict"}),
        ("Әсел Бɵрiбаеваның адвокаты.", {"boribayeva"}),
        ("Oстап Гнатюк мовчав.", {"hnatiuk"}),
        ("Жаңаɵзен тұрғындары.", {"zhanaozen"}),
    ],
)
def test_names_typed_with_lookalikes(text: str, expected: set[str]) -> None:
    assert found(text) == expected


def _feed_matches(body: bytes) -> list[tuple[set[str], bool]]:
    articles = parse(FetchedFeed(OUTLET, 200, body, {}, None, None)).articles
    out = []
    for article in articles:
        matches = MATCHER.match(article.title, article.text)
        out.append(({m.entry_id for m in matches if m.deliverable}, is_urgent(matches, WATCHLIST)))
    return out


def test_feed_items_with_lookalike_letters_match_and_are_urgent() -> None:
    """Through the real parser: each item finds its people, case and keywords."""
    results = _feed_matches((DATA / "kk_lookalike_letters.xml").read_bytes())
    assert results == [
        ({"samarkanbekov", "verdict"}, True),
        ({"boribayeva", "verdict", "petition"}, True),
        ({"zhanaozen", "arrest"}, False),
        ({"hnatiuk", "verdict", "defendant"}, True),
    ]


@pytest.mark.skipif(REALWORLD is None, reason="shared fixtures not present")
def test_reported_kazakh_latin_i_verdict_is_urgent() -> None:
    """The reported feed: үк + Latin i + м is the urgent keyword үкім."""
    assert REALWORLD is not None
    watchlist = parse_watchlist((REALWORLD / "watchlist.yaml").read_text("utf-8"))
    matcher = compile_watchlist(watchlist)
    body = (REALWORLD / "15_kazakh_latin_i.xml").read_bytes()
    (article,) = parse(FetchedFeed(OUTLET, 200, body, {}, None, None)).articles
    matches = matcher.match(article.title, article.text)
    assert {m.entry_id for m in matches if m.deliverable} == {"testov", "verdict"}
    assert is_urgent(matches, watchlist)
