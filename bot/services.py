"""What the bot's commands and the CLI ask of trialwatch: one function each, shared.

They take the app and plain arguments and return records; rendering is in
`bot.replies`, Telegram in `bot.commands`.
"""

from dataclasses import dataclass
from datetime import datetime
from math import ceil
from typing import TYPE_CHECKING

from bot.destinations import ArticleFacts, route
from bot.replies import CASE_PAGE, StatusView
from bot.research.search import search as research_search
from core.records import Match
from feeds.canonical import canonical_url
from storage.lookup import (
    ArticleDetail,
    ArticleLine,
    article_detail,
    count_timeline,
    entry_timeline,
    queued_by_destination,
)

if TYPE_CHECKING:
    from bot.app import App

SEARCH_LIMIT = 10


def status_view(app: "App") -> StatusView:
    """Outlets, the queue per destination, the last finished cycle."""
    heartbeat = app.store.heartbeat()
    return StatusView(
        tuple(app.store.outlet_status()),
        queued_by_destination(app.store.engine),
        tuple(d.id for d in app.destinations),
        heartbeat.cycle_at if heartbeat else None,
    )


def search(app: "App", text: str, *, limit: int = SEARCH_LIMIT) -> list[ArticleLine]:
    """Latest articles about a name (any spelling or script) or holding the words:
    the research search, as `trialwatch search` runs it."""
    hits = research_search(app.store.engine, text, limit=limit, watchlist=app.config.watchlist)
    return [
        ArticleLine(h.article.id, h.article.outlet, h.article.title, h.article.url, h.when)
        for h in hits
    ]


@dataclass(frozen=True, slots=True)
class CasePage:
    name: str
    lines: list[ArticleLine]
    page: int
    pages: int


def case_page(app: "App", entry_id: str, page: int) -> CasePage | None:
    """One page of an entry's timeline, newest first; None for an unknown entry."""
    if entry_id not in app.config.watchlist.entry_ids():
        return None
    pages = max(1, ceil(count_timeline(app.store.engine, entry_id) / CASE_PAGE))
    lines = entry_timeline(
        app.store.engine, entry_id, limit=CASE_PAGE, offset=(page - 1) * CASE_PAGE
    )
    return CasePage(app.name_of(entry_id), lines, page, pages)


def why(app: "App", link: str) -> ArticleDetail | None:
    """The stored article at `link` (as given or canonical), its matches and outbox rows."""
    link = link.strip().strip("<>")
    return article_detail(app.store.engine, [link, canonical_url(link)])


@dataclass(frozen=True, slots=True)
class TestResult:
    matches: list[Match]
    urgent: bool
    routed: tuple[str, ...]


def test_text(app: "App", text: str) -> TestResult:
    """What the watchlist finds in `text` (deliverable matches), and where it would go."""
    found = [m for m in app.matcher.match("", text) if m.deliverable]
    urgent = app.is_urgent(found)
    routed = route(ArticleFacts(tuple(found), "", urgent), app.destinations)
    return TestResult(found, urgent, routed)


async def digest_now(app: "App", now: datetime) -> tuple[dict[str, int], dict[str, str]]:
    """Send every destination's pending digest now: (sent per destination, refusals)."""
    from bot.app import run_digest

    return await run_digest(app, now, force=True)
