"""Keyword terms find their word family and, through the court lexicon, the other
languages; `word*` is an explicit prefix; `exact: true` turns both off; a
sense-changing phrase (a free trial) keeps a keyword below the alert line.
Sentences are our own."""

import pytest

from core.records import ALERT_THRESHOLD
from matchers import compile_watchlist, parse_watchlist
from matchers.families import expand_terms, family_of

WATCHLIST = """
keywords:
  - id: convicted
    terms: [convicted]
  - id: detained
    terms: [задержан]
  - id: charge
    terms: [обвинение]
  - id: cassation
    terms: [кассация]
  - id: court
    terms: [суд]
  - id: sentenced-kk
    terms: [сотталды]
  - id: prefix
    terms: [тергеу*]
"""
FAMILIES = compile_watchlist(parse_watchlist(WATCHLIST))


def found(matcher, text: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return {m.entry_id: m.score for m in matcher.match("", text)}


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("The conviction was quashed.", "convicted"),
        ("Convicting him took a week.", "convicted"),
        ("Полиция задержала активиста.", "detained"),
        ("Активиста задержали утром.", "detained"),
        ("Задержание продлили.", "detained"),
        ("После задержания его отпустили.", "detained"),
        ("Прокурор обвинил блогера.", "charge"),
        ("Обвинительный акт передан в суд.", "charge"),
        ("Кассационный суд отказал.", "cassation"),
        ("Қорғаушы кассациялық шағым берді.", "cassation"),
        ("Ол сотталған жоқ.", "sentenced-kk"),
        ("Тергеушілер іс қозғады.", "prefix"),
        ("Тергеудің нәтижесі белгісіз.", "prefix"),
    ],
)
def test_terms_find_their_family(text: str, entry: str) -> None:
    assert found(FAMILIES, text).get(entry) == 1.0


@pytest.mark.parametrize(
    "text", ["Судья вынес решение.", "Судьба его неизвестна.", "Судно вышло в море."]
)
def test_short_terms_have_no_family(text: str) -> None:
    """`суд` finds its inflections (суда, судом) but not судья, судьба, судно."""
    assert "court" not in found(FAMILIES, text)
    assert "court" in found(FAMILIES, "Дело передано в суд.")
    assert family_of("суд") is None


LEXICON = compile_watchlist(
    parse_watchlist("""
keywords:
  - id: verdict
    terms: [verdict]
  - id: verdict-exact
    terms: [verdict]
    exact: true
  - id: hearing
    terms: [trial]
  - id: appeal
    terms: [апелляция]
""")
)


@pytest.mark.parametrize(
    ("text", "entries"),
    [
        ("Сот үкімі заңды күшіне енді.", {"verdict"}),
        ("Суд вынес приговор по делу.", {"verdict"}),
        ("Sot ükımı şyqty.", {"verdict"}),
        ("The verdict was read out.", {"verdict", "verdict-exact"}),
        ("Сот процесі жабық өтті.", {"hearing"}),
        ("Судебное заседание отложено.", {"hearing"}),
        ("He lost his appeal in the Supreme Court.", {"appeal"}),
        ("Адвокат апелляциялық шағым түсірді.", {"appeal"}),
    ],
)
def test_a_court_word_finds_the_other_languages(text: str, entries: set[str]) -> None:
    hits = {e for e, score in found(LEXICON, text).items() if score >= ALERT_THRESHOLD}
    assert hits == entries


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("Sign up for a free trial today.", "hearing"),
        ("The clinical trial enrolled 300 patients.", "hearing"),
        ("The candidate's appeal to voters was simple.", "appeal"),
        ("Its mass appeal is obvious.", "appeal"),
    ],
)
def test_sense_changing_context_scores_below_the_line(text: str, entry: str) -> None:
    assert found(LEXICON, text).get(entry, 0.0) < ALERT_THRESHOLD


def test_context_does_not_hide_the_court_sense_elsewhere() -> None:
    text = "After a free trial of the app, he went on trial in Almaty."
    assert found(LEXICON, text)["hearing"] == 1.0


def test_expansion_is_listed_and_exact_opts_out() -> None:
    expansion = expand_terms(["приговор"])
    assert expansion.concepts == ("verdict",)
    assert {"verdict", "үкім", "ükım"} <= set(expansion.added)
    assert expand_terms(["приговор"], exact=True).added == ()
    assert expand_terms(["погода"]).added == ()


def test_prefix_star_must_end_a_word_of_three_letters() -> None:
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\* may only end a word"):
        parse_watchlist("keywords:\n  - {id: k, terms: ['о*']}\n")
    with pytest.raises(ConfigError, match=r"\* may only end a word"):
        parse_watchlist("keywords:\n  - {id: k, terms: ['об*вин']}\n")


@pytest.mark.parametrize(
    ("text", "found_"),
    [
        ("The court found him guilty of fraud.", True),
        ("Суд признал его виновным.", True),
        ("The court found the journalist guilty.", False),  # only a pronoun may stand inside
    ],
)
def test_one_pronoun_inside_a_phrase_term(text: str, found_: bool) -> None:
    matcher = compile_watchlist(
        parse_watchlist("keywords:\n  - {id: v, terms: [found guilty, признал виновным]}\n")
    )
    assert bool(found(matcher, text)) == found_
