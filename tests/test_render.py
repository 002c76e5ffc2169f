"""Telegram messages: escaped, linked, dated in the user's zone, split under the limit."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.render import BUDGET, render_alert, render_digest, to_plain, visible_length
from core.records import DeliveryItem, Match
from tests.telegram_server import html_error

TZ = ZoneInfo("Asia/Almaty")
NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
NAMES = {"mamay": "Zhanbolat Mamay", "verdict": "verdict", "qantar": "Bloody January"}


def name_of(entry_id: str) -> str:
    return NAMES.get(entry_id, entry_id)


def match(
    entry_id: str = "mamay",
    kind: str = "person",
    snippet: str = "Court hears Mamay.",
    mark: tuple[int, int] = (12, 17),
    score: float = 1.0,
) -> Match:
    return Match(
        entry_id,
        kind,
        snippet[mark[0] : mark[1]],
        0,
        5,
        score,
        "full name",  # type: ignore[arg-type]
        snippet,
        mark,
    )


def item(
    i: int = 1,
    title: str = "Mamay in court",
    url: str = "https://o.test/a?x=1&y=2",
    matches: tuple[Match, ...] | None = None,
) -> DeliveryItem:
    return DeliveryItem(
        i,
        False,
        "Outlet & Co",
        title,
        url,
        datetime(2026, 11, 21, 20, 30, tzinfo=UTC),
        NOW,
        matches or (match(),),
    )


def test_alert_shows_outlet_link_date_entries_and_bold_form() -> None:
    """An alert has everything a monitor needs to judge it at a glance."""
    message = render_alert(item(), TZ, name_of)
    assert message.delivery_ids == (1,)
    assert '<a href="https://o.test/a?x=1&amp;y=2">Mamay in court</a>' in message.html
    assert "Outlet &amp; Co · 01:30 Almaty · 7 h ago" in message.html  # UTC+5
    assert message.html.startswith("🔴 <b>ALERT · Zhanbolat Mamay</b>")
    assert "Mamay (full name)" in message.html
    assert "<i>Court hears <b>Mamay</b>.</i>" in message.html
    assert html_error(message.html) is None


def test_digest_groups_by_entry_and_keeps_each_article_once() -> None:
    """Articles are grouped under the case or person they are mainly about; court
    words alone under the trials in the region."""
    items = [
        item(1),
        item(2, title="Qantar anniversary", matches=(match("qantar", "case"),)),
        item(3, title="Verdicts this week", matches=(match("verdict", "keyword"),)),
    ]
    [message] = render_digest(items, TZ, name_of, NOW)
    plain = to_plain(message.html)
    assert (
        plain.index("Bloody January")
        < plain.index("Zhanbolat Mamay")
        < plain.index("Other trials in the region")
    )
    assert message.delivery_ids == (2, 1, 3)


def test_long_digest_splits_between_entries_under_the_limit() -> None:
    """A big digest becomes several messages, each under 4096, no article lost or split."""
    items = [item(i, title=f"Хабар {i} " + "ж" * 250) for i in range(60)]
    messages = render_digest(items, TZ, name_of, NOW)
    assert len(messages) > 1
    assert all(visible_length(m.html) <= BUDGET for m in messages)
    assert sorted(i for m in messages for i in m.delivery_ids) == list(range(60))
    assert all(html_error(m.html) is None for m in messages)


def test_visible_length_counts_utf16_units_without_tags() -> None:
    """Emoji count twice and tags not at all, as Telegram counts."""
    assert visible_length("<b>a&amp;b</b> 🔴") == 3 + 1 + 2


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "ftp://x", ""])
def test_only_http_links_are_linked(url: str) -> None:
    """A hostile link scheme is shown as plain title, never as a link."""
    message = render_alert(item(url=url), TZ, name_of)
    assert "<a " not in message.html


hostile = st.text(
    alphabet=st.sampled_from(list("<>&\"'/ab ж\u202e\u200f")) | st.characters(), max_size=12_000
)


@settings(max_examples=60, deadline=None)
@given(title=hostile, snippet=hostile, url=hostile, outlet=hostile)
@example(title="<b>" * 3000, snippet="&" * 10_000, url='javascript:"><', outlet="x" * 10_000)
@example(title="\u202eإ" * 5000, snippet="🔴" * 5000, url="https://x/" + "<" * 9000, outlet="")
def test_any_feed_text_renders_as_valid_html_under_the_limit(
    title: str, snippet: str, url: str, outlet: str
) -> None:
    """Whatever a feed sends, the message is valid Telegram HTML and fits."""
    mark = (0, min(3, len(snippet)))
    it = DeliveryItem(1, True, outlet, title, url, None, NOW, (match(snippet=snippet, mark=mark),))
    for message in [render_alert(it, TZ, name_of), *render_digest([it], TZ, name_of, NOW)]:
        assert html_error(message.html) is None
        assert visible_length(message.html) <= BUDGET
