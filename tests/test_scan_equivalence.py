"""The fast scan (reads only around the watched words it finds) gives the analyses
of the straightforward one (tokenizes every word), on random mixes of watched names,
phrases, short words, initials, apostrophes, quotes, line breaks and filler."""

import re
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from matchers import compile_watchlist, normalize, parse_watchlist, searchkeys
from matchers.match import Analysis
from matchers.tokens import AllTokens, NearTokens

DATA = Path(__file__).parent / "data" / "matching"
EXTRA = """
defendants:
  - {id: tasbolat, name: Нұрлан Тасболатов}
  - {id: omirbek, name: Dana Omirbekova}
  - {id: serikbol, name: Ерлан Серікболов}
cases:
  - id: zhailau
    name: Zhailau affair
    aliases: [Жайлау ісі]
    together:
      - [Zhailau, land|жер]
keywords:
  - {id: verdict, terms: [sentenced, приговор, үкім, found guilty], urgent: true}
  - {id: detained, terms: [detained, задержан], with: [police, полиция]}
regions:
  - [Almaty, Алматы, Алма-Ата]
  - [Shymkent, Шымкент]
"""
MATCHERS = [
    compile_watchlist(parse_watchlist((DATA / "watchlist.yaml").read_text(encoding="utf-8"))),
    compile_watchlist(parse_watchlist(EXTRA)),
]
WATCHED = " ".join(
    (
        "Руслан Кулекбаев Кулекбаевым Кулекбаевтың Kulekbayev Kulekbayev's Р Ruslan Руслана",
        "Kudaibergenov Кудайбергенова Kazybek Isaev Исаева Nursultan Mamay Khan Zhanbolat",
        "Bokayev Бокаевой Max Тастанбеков Шыңғыс Тасболатов Тасболатовқа Нұрлан Nurlan Nurlam",
        "Omirbekova Омирбекова Dana Серікболов Serikbulov Ерлан Zhailau affair Жайлау ісі land",
        "жер sentenced приговор приговора үкімі found him guilty detained задержан police",
        "полиция Almaty Алматы Алма-Ата Shymkent Bloody January Кровавый январь Жанаозен",
        "Zhanaozen footballer актриса free trial",
    )
).split(" ")
FILLER = " ".join(
    (
        "the a of in it is to суд и в не по сот мен бұл жыл court said По У A Ab Zh Sh",
        "Marat Aigul Дина year city",
    )
).split(" ")
GLUE = [" ", " ", " ", " ", ", ", ". ", ".\n", "\n\n", "? ", "! ", "… ", " — ", " (", ") ",
        " «", "» ", ' "', '" ', ".» ", ' "', "' ", " '", "’ ", "'", ". '", "' .", ".)", ";",
        ":", " - ", "\u00ad", ".", "...", "?!"]  # fmt: skip
words = st.lists(st.sampled_from(WATCHED + FILLER), min_size=0, max_size=40)
texts = st.builds(
    lambda ws, gs: "".join(w + gs[i % len(gs)] for i, w in enumerate(ws)),
    words,
    st.lists(st.sampled_from(GLUE), min_size=1, max_size=40),
)


def same(a: Analysis, b: Analysis) -> bool:
    return (a.matches, a.occurrences, a.text, a.title_end) == (
        b.matches,
        b.occurrences,
        b.text,
        b.title_end,
    )


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([0, 1]), texts, texts)
@example(0, "", "А. Кулекбаев. По. У Кулекбаева. 'Kulekbayev' ’Isaev’ Nursultan.\nIsaev")
@example(1, "", "Dana Omirbekova found him guilty. Алматы, 'Serikbulov' Ерлан.")
def test_fast_scan_gives_the_reference_analysis(which: int, title: str, text: str) -> None:
    matcher = MATCHERS[which]
    assert same(matcher.analyse(title, text), matcher.analyse_reference(title, text))


@settings(max_examples=400, deadline=None)
@given(texts)
@example("Ab. Cd.  'x' .y '' z. A. B ’. Q")
def test_nearby_tokens_answer_as_all_tokens(text: str) -> None:
    """Starts, neighbours and sentence numbers read locally are those of the whole text."""
    every = AllTokens(text)
    chosen = set(normalize.words(text)[::3])
    near = NearTokens(text, chosen)
    raw = [(m.group(), m.start()) for m in re.finditer(f"[{normalize.WORD_CHARS}]+", text)]
    starts = {
        t
        for t in every.tokens
        for word, at in raw
        if word in chosen and at <= t[0] < at + len(word)
    }
    assert near.starts() == sorted(starts)
    for token in every.tokens:
        assert near.after(token) == every.after(token)
        assert near.before(token) == every.before(token)
        assert near.sentence(token) == every.sentence(token)


def test_a_quoted_surname_is_found() -> None:
    """A surname in single quotes ('Kulekbayev') is matched as without them."""
    matcher = MATCHERS[0]
    quoted = {m.entry_id for m in matcher.match("", "the so-called 'Kulekbayev case' was heard")}
    assert "kulekbayev" in quoted


def name_keys_reference(title: str, text: str) -> str:
    """`searchkeys.name_keys` the straightforward way: every word, keyed as it comes."""
    keys: dict[str, None] = {}
    for word in normalize.words(f"{title}\n{text}"):
        if word[:1].isupper():
            for key in normalize.skeletons(word):
                if key:
                    keys[key.lower()] = None
    return " ".join(keys)


@settings(max_examples=200, deadline=None)
@given(texts, texts)
def test_name_keys_remembered_per_word_are_the_same(title: str, text: str) -> None:
    assert searchkeys.name_keys(title, text) == name_keys_reference(title, text)
