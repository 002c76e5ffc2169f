"""The cycle's route stage (bot/route.py): the relevance decision, with an outlet's
first poll as backlog."""

from datetime import UTC, datetime, timedelta

from bot.route import route
from core.records import OutletForPoll, ParsedArticle
from matchers import compile_watchlist, parse_watchlist

WATCHLIST = """
defendants:
  - {id: berdibekov, name: Aslan Berdibekov}
keywords:
  - {id: verdict, terms: [sentenced], urgent: true}
regions: [Almaty]
"""
NOW = datetime(2031, 6, 10, 12, 0, tzinfo=UTC)
MATCHER = compile_watchlist(parse_watchlist(WATCHLIST))


def outlet(polled_before: bool) -> OutletForPoll:
    polled = NOW - timedelta(hours=1) if polled_before else None
    return OutletForPoll("o", "O", "https://o.test/rss", "en", timedelta(minutes=15),
                         last_success_at=polled)  # fmt: skip


def article(title: str, text: str) -> ParsedArticle:
    return ParsedArticle("k", "https://o.test/1", None, title, text, None, NOW)


def test_fresh_verdict_is_urgent_but_not_in_the_first_poll() -> None:
    """The same fresh verdict: urgent from a polled outlet, digest from a first poll."""
    a = article("Court news", "Aslan Berdibekov was sentenced today.")
    analysis = MATCHER.analyse(a.title, a.text)
    news = route(a, outlet(True), analysis, MATCHER.watchlist, NOW)
    backlog = route(a, outlet(False), analysis, MATCHER.watchlist, NOW)
    assert (news.urgent, news.deliverable) == (True, True)
    assert (backlog.urgent, backlog.deliverable) == (False, True)


def test_world_news_is_stored_but_not_sent() -> None:
    """Court words with no regional context: matches kept, nothing queued."""
    a = article("Court news", "A court in Lyon sentenced a banker.")
    intent = route(a, outlet(True), MATCHER.analyse(a.title, a.text), MATCHER.watchlist, NOW)
    assert intent.matches and not intent.deliverable and not intent.urgent
