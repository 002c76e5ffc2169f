"""Bounded messages (issue 8, kind 6): what any message format must pass.

Feeds and watchlists can make every part of a message long: a 10 kB title, a
title of emoji (two UTF-16 units each), 150 people matched in one article, a
10 kB link or outlet name. Whatever the format, every message stays under
Telegram's limit, is valid Telegram HTML, and never is a header alone.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.bounds import clip, first_of
from bot.render import (
    MESSAGE_LIMIT,
    render_alert,
    render_digest,
    render_state_changes,
    visible_length,
)
from core.records import DeliveryItem, Match, StateChange
from tests.telegram_server import html_error

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Almaty")
LONG_WORDS = "Sarsenov " * 1200  # ~10 kB
NO_SPACES = "Ж" * 10_000
EMOJI = "⚖️🔴" * 2000


def person(n: int, name_len: int = 12) -> Match:
    name = f"Person{n:03d}"[:name_len]
    return Match(f"p{n:03d}", "person", name, n, n + 5, 1.0, "full name", f"… {name} …", (2, 8))


def item(
    n: int = 1,
    *,
    title: str = "Aibek Sarsenov sentenced",
    url: str = "https://vesti.test/news/1",
    outlet: str = "Vesti",
    matches: tuple[Match, ...] = (person(1),),
) -> DeliveryItem:
    return DeliveryItem(n, True, outlet, title, url, NOW, NOW, matches)


def names(entry_id: str) -> str:
    return f"Invented Defendant {entry_id.upper()}"


def long_names(entry_id: str) -> str:
    return f"{entry_id} " + "Abdrakhmanovich-Zhumabekuly " * 300


EXTREMES = {
    "10 kB title": item(title=LONG_WORDS),
    "10 kB title with no spaces": item(title=NO_SPACES),
    "title of emoji": item(title=EMOJI),
    "150 people matched": item(matches=tuple(person(i) for i in range(150))),
    "10 kB link": item(url="https://vesti.test/" + "a" * 10_000),
    "10 kB outlet name": item(outlet=LONG_WORDS),
    "huge snippet": item(
        matches=(
            Match("p1", "person", "X", 0, 1, 1.0, "full name", EMOJI + LONG_WORDS, (5000, 5003)),
        )
    ),
    "markup-like text": item(title="<b>R&D</b> <rubber stamp> & " * 300),
    "everything at once": item(
        title=EMOJI,
        url="javascript:" + "x" * 5000,
        outlet=NO_SPACES,
        matches=tuple(person(i) for i in range(150)),
    ),
}


def assert_sendable(text_html: str) -> None:
    assert visible_length(text_html) <= MESSAGE_LIMIT
    assert html_error(text_html) is None, html_error(text_html)


@pytest.mark.parametrize("name_of", [names, long_names], ids=["short names", "5 kB names"])
@pytest.mark.parametrize("case", list(EXTREMES))
def test_every_alert_is_bounded_and_valid(case: str, name_of: object) -> None:
    """An alert about any article fits one message, with its article in it."""
    message = render_alert(EXTREMES[case], TZ, name_of)  # type: ignore[arg-type]
    assert_sendable(message.html)
    assert message.delivery_ids == (1,)
    assert "(full name)" in message.html  # the content (the evidence), not a header alone


@pytest.mark.parametrize("name_of", [names, long_names], ids=["short names", "5 kB names"])
def test_every_digest_message_is_bounded_and_carries_articles(name_of: object) -> None:
    """A digest of extreme articles splits into messages that each fit and each carry
    at least one article; every article is in exactly one message."""
    items = [
        DeliveryItem(
            n, False, i.outlet, i.title, i.url, i.published, i.seen, i.matches
        )  # fresh ids
        for n, i in enumerate(list(EXTREMES.values()) * 5, 1)
    ]
    messages = render_digest(items, TZ, name_of, NOW)  # type: ignore[arg-type]
    for message in messages:
        assert_sendable(message.html)
        assert message.delivery_ids
    ids = [i for m in messages for i in m.delivery_ids]
    assert sorted(ids) == list(range(1, len(items) + 1))


def test_matched_line_names_ten_then_counts_the_rest() -> None:
    """An article matching 150 watched people names the first ten and "+ 140 more"."""
    html = render_alert(EXTREMES["150 people matched"], TZ, names).html
    matched = next(line for line in html.split("\n") if "(full name)" in line)
    assert matched.endswith("+ 140 more")
    assert matched.count("(full name)") == 10
    assert html.startswith("🔴 <b>ALERT · Invented Defendant P000, ") and "+ 147 more" in html


def test_health_change_of_many_outlets_is_bounded() -> None:
    """Two hundred outlets failing at once make one bounded admin message."""
    changes = [
        StateChange(f"outlet-{n}", f"Outlet {n}", "ok", "failing", "HTTP 500 " + "x" * 500)
        for n in range(200)
    ]
    text = render_state_changes(changes)
    assert_sendable(text)
    assert text.rstrip().endswith("more")


@pytest.mark.parametrize(
    ("items", "most", "limit", "expected"),
    [
        (["a", "b", "c"], 10, 100, "a, b, c"),
        (["a", "b", "c"], 2, 100, "a, b + 1 more"),
        (["aaaa", "bbbb", "cccc"], 10, 9, "aaaa + 2 more"),
        (["x" * 50], 10, 9, "x" * 50),  # the first item always shows; clip it first
        ([], 10, 10, ""),
    ],
)
def test_first_of(items: list[str], most: int, limit: int, expected: str) -> None:
    """A list is cut by count and by length, and says how many it left out."""
    assert first_of(items, most=most, limit=limit) == expected


def test_clip_cuts_at_a_word() -> None:
    """A long text is cut at a word boundary and marked with an ellipsis."""
    assert clip("Aibek Sarsenov was sentenced today", 20) == "Aibek Sarsenov was…"
    assert clip("Ж" * 30, 10) == "Ж" * 9 + "…"
