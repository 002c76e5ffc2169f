"""Names written differently from the watchlist: Kazakh spellings of Russian-form
surnames, women's surnames on women's entries, one letter off. Invented names."""

import pytest

from core.records import ALERT_THRESHOLD
from matchers import compile_watchlist, parse_watchlist

MATCHER = compile_watchlist(
    parse_watchlist("""
defendants:
  - {id: abdrakhmanov, name: Ерболат Абдрахманов}
  - {id: tuleubaeva, name: Гульжан Тулеубаева}
  - {id: tleubayev, name: Askar Tleubayev}
  - {id: bekturgan, name: Saule Bekturgan}
  - {id: zhumabekova, name: Асель Жумабекова}
  - {id: serikbolov, name: Nurlan Serikbolov}
  - {id: dzhaksybekov, name: Aidos Dzhaksybekov}
  - {id: omarov, name: Berik Omarov}
cases:
  - {id: steppe, name: Steppe Case, aliases: [Степное дело, Дала ісі]}
""")
)


def scores(text: str) -> dict[str, float]:
    return {m.entry_id: m.score for m in MATCHER.match("", text)}


def delivered(text: str) -> set[str]:
    return {e for e, s in scores(text).items() if s >= ALERT_THRESHOLD}


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("Ерболат Әбдірахманов сотта сөйледі.", "abdrakhmanov"),
        ("Сот Ерболат Әбдірахмановқа үкім шығарды.", "abdrakhmanov"),
        ("Е. Әбдірахманов адвокат жалдады.", "abdrakhmanov"),
        ("Гүлжан Төлеубаеваға айып тағылды.", "tuleubaeva"),
        ("Askar Tileubaev was detained.", "tleubayev"),
        ("Асқар Тілеубаев ұсталды.", "tleubayev"),
    ],
)
def test_kazakh_spellings_of_russian_form_surnames_with_a_given_name(text: str, entry: str) -> None:
    assert entry in delivered(text)


@pytest.mark.parametrize(
    "text",
    ["Әбдірахмановтың адвокаты келді.", "Tileubaev was detained.", "Марат Әбдірахманов келді."],
)
def test_the_loose_spelling_alone_or_with_another_given_name_is_not_enough(text: str) -> None:
    assert delivered(text) == set()


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("Saule Bekturganova was detained in Almaty.", "bekturgan"),
        ("Задержана Бектурганова Сауле.", "bekturgan"),
        ("Сәуле Бектұрғанқызы сотта сөйледі.", "bekturgan"),
        ("Суд над Асели Жумабековой продолжился.", "zhumabekova"),
        ("Асель Жумабекованың адвокаты.", "zhumabekova"),
    ],
)
def test_a_womans_surname_on_a_womans_entry_is_her_full_name(text: str, entry: str) -> None:
    assert scores(text).get(entry) == 1.0


def test_the_feminine_penalty_stays_for_a_mans_entry() -> None:
    assert scores("Суд над Омаровой отложен.")["omarov"] < 0.75
    assert scores("Aizhan Omarova spoke.")["omarov"] < ALERT_THRESHOLD


@pytest.mark.parametrize(
    ("text", "entry", "score"),
    [
        ("Nurlan Serikbulov was detained.", "serikbolov", 1.0),  # o/u: the loose key
        ("Nurlan Serikbalov was detained.", "serikbolov", 0.9),
        ("Aidos Dzhaksybkov spoke.", "dzhaksybekov", 0.9),  # a dropped letter
        ("Aidos Dzhaksyrbekov spoke.", "dzhaksybekov", 0.9),  # an inserted letter
        ("Nurlam Serikbolov spoke.", "serikbolov", 0.9),  # the given name one letter off
        ("Serikbalov was detained.", "serikbolov", 0.55),  # alone: below the line
        ("Serikbalov, Steppe Case defendant, was detained.", "serikbolov", 0.7),  # case confirms
    ],
)
def test_one_letter_off_in_long_names(text: str, entry: str, score: float) -> None:
    assert scores(text).get(entry) == pytest.approx(score)


@pytest.mark.parametrize(
    "text",
    [
        "Murat Serikbolov spoke.",  # another known given name
        "Aidos Dzhaksybayev spoke.",  # two letters off
        "Berik Omarev spoke.",  # short surnames are never fuzzy
    ],
)
def test_not_one_letter_off(text: str) -> None:
    found = scores(text)
    assert all(s < 0.9 for s in found.values()), found


FIELD = compile_watchlist(
    parse_watchlist("""
defendants:
  - {id: temirbekov, name: Arman Temirbekov}
keywords:
  - {id: verdict, terms: [verdict]}
""")
)


@pytest.mark.parametrize(
    ("text", "delivered_"),
    [
        ("Footballer Arman Temirbekov scored twice on Sunday.", False),
        ("Футболист Арман Темирбеков забил два гола.", False),
        ("Әнші Арман Темірбеков жаңа ән шығарды.", False),
        ("Arman Temirbekov, a former boxer, was sentenced to five years.", True),
        ("Arman Temirbekov was detained. The actor Ali Bek watched.", True),
        ("Арман Темирбеков задержан.", True),
    ],
)
def test_a_namesake_in_another_field_is_below_the_line(text: str, delivered_: bool) -> None:
    """Sport and stage words beside the name, and no court word in the sentence."""
    match = next(m for m in FIELD.match("", text) if m.entry_id == "temirbekov")
    assert match.deliverable == delivered_
