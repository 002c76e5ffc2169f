"""One story from several outlets (bot/stories.py), on invented items."""

from datetime import UTC, datetime, timedelta

from bot.stories import group_stories
from core.records import DeliveryItem, Match

NOW = datetime(2031, 3, 4, 6, 0, tzinfo=UTC)


def m(entry_id: str, kind: str) -> Match:
    return Match(entry_id, kind, entry_id, 0, 1, 1.0, "x", entry_id, (0, 1))  # type: ignore[arg-type]


def item(i: int, outlet: str, title: str, *matches: Match, hours: float = 0) -> DeliveryItem:
    when = NOW - timedelta(hours=hours)
    return DeliveryItem(i, False, outlet, title, f"https://o.test/{i}", when, when, matches)


def test_same_person_same_stage_same_day_is_one_story_across_languages() -> None:
    """A verdict on one person from three outlets in two languages: one story."""
    a = item(
        1,
        "Azattyq",
        "Суд приговорил Берди­бекова",
        m("berdibekov", "person"),
        m("verdict", "keyword"),
    )
    b = item(
        2,
        "Eurasianet",
        "Teacher jailed",
        m("berdibekov", "person"),
        m("verdict", "keyword"),
        hours=5,
    )
    c = item(
        3,
        "Vlast",
        "Бердибеков осужден",
        m("berdibekov", "person"),
        m("verdict", "keyword"),
        hours=9,
    )
    [story] = group_stories([a, b, c])
    assert story.delivery_ids == (1, 2, 3) and story.other_outlets() == ["Eurasianet", "Vlast"]


def test_alike_titles_in_two_scripts_with_a_place_in_common_are_one_story() -> None:
    """Regional stories with no watched person meet by their transliterated titles."""
    a = item(
        1,
        "Vlast",
        "Блогер Асанов арестован в Алматы",
        m("detention", "keyword"),
        m("Almaty", "region"),
    )
    b = item(
        2,
        "Orda",
        "Blogger Asanov arestovan v Almaty",
        m("detention", "keyword"),
        m("Almaty", "region"),
    )
    assert len(group_stories([a, b])) == 1


def test_different_stages_outlets_and_days_stay_apart() -> None:
    """Another stage, the same outlet twice, or two days apart: separate stories."""
    verdict = item(1, "Azattyq", "Verdict", m("berdibekov", "person"), m("verdict", "keyword"))
    detention = item(2, "Vlast", "Detention", m("berdibekov", "person"), m("detention", "keyword"))
    same_outlet = item(
        3, "Azattyq", "Verdict again", m("berdibekov", "person"), m("verdict", "keyword")
    )
    later = item(
        4, "Kursiv", "Verdict", m("berdibekov", "person"), m("verdict", "keyword"), hours=-40
    )
    assert len(group_stories([verdict, detention, same_outlet, later])) == 4
