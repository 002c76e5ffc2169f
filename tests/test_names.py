"""Which word of a watched name is the surname, and which text words are given names.

A surname is often a given name plus a suffix (Russian -ов/-ин, Kazakh -сын,
-ұлы): Асанов, Данасин. Reading such a surname as an inflected given name
swaps the entry's parts, and the watched person's given name alone then
alerts on every "Дана." in the news.
"""

import pytest

from matchers import Person, Watchlist, compile_watchlist
from matchers.names import is_known_given_name, split_name

# Surnames built on a known given name (Dana, Anna, Dias, Ruslan, Aigul, Berik)
# with a surname ending, beside a given name the list may or may not know.
BUILT_ON_GIVEN_NAMES = [
    ("Сабит Данасин", "Данасин"),
    ("Sabit Annasyn", "Annasyn"),
    ("Тоқтар Даісин", "Даісин"),
    ("Tokhtar Diasin", "Diasin"),
    ("Жәнібек Русланов", "Русланов"),
    ("Zhanibek Aigulova", "Aigulova"),
    ("Әлихан Берікұлы", "Берікұлы"),
    ("Alikhan Berikuly", "Berikuly"),
]


@pytest.mark.parametrize(("name", "surname"), BUILT_ON_GIVEN_NAMES)
def test_surname_built_on_a_given_name_stays_the_surname(name: str, surname: str) -> None:
    parts = split_name(name)
    assert parts.surname == surname
    assert parts.given == (name.split()[0],)


@pytest.mark.parametrize(
    ("name", "surname"),
    [
        ("Мадина Амерла", "Амерла"),
        ("Тлеужан Айгерим", "Тлеужан"),
        ("Kulekbayev Ruslan", "Kulekbayev"),
    ],
)
def test_known_given_name_decides_the_order(name: str, surname: str) -> None:
    assert split_name(name).surname == surname


@pytest.mark.parametrize(
    "word", ["Руслана", "Русланға", "Русланның", "Ruslannyñ", "Ruslan's", "Динаға", "Berikke"]
)
def test_inflected_given_names_are_given_names(word: str) -> None:
    assert is_known_given_name(word)


@pytest.mark.parametrize(
    "word", ["Данасин", "Annasyn", "Даісин", "Русланов", "Aigulova", "Берікұлы", "Русланлар"]
)
def test_surnames_and_plurals_built_on_given_names_are_not_given_names(word: str) -> None:
    assert not is_known_given_name(word)


def test_given_name_alone_is_no_alert_for_a_surname_built_on_a_given_name() -> None:
    """The entries' given names (unknown to the list) must not become their surnames."""
    people = tuple(Person(f"p{n}", name) for n, (name, _) in enumerate(BUILT_ON_GIVEN_NAMES))
    matcher = compile_watchlist(Watchlist(people))
    noise = "Сабит. Sabit келді. Тоқтар, Tokhtar және Жәнібек. Zhanibek. Әлихан. Alikhan."
    assert [m for m in matcher.match("", noise) if m.deliverable] == []
    found = {m.entry_id for m in matcher.match("", "Сот Сабит Данасинге үкім шығарды.")}
    assert found == {"p0"}
