"""What trialwatch does, as functions the CLI, the scheduler's jobs and the bot's
commands all call: one implementation of each (poll, digest, status, health, and the
commands' search, case timeline, why and test)."""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from math import ceil
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.config import config_stamp, load_compiled
from bot.context import App
from bot.cycle import CycleReport, run_cycle
from bot.deliver import Sent, digest_messages, send_digest, send_urgent
from bot.destinations import ArticleFacts, Destination, destinations_for, digest_due
from bot.health import Verdict, judge
from bot.render import render_admin_error, render_state_changes
from bot.replies import CASE_PAGE, StatusView
from bot.research.evidence import page_changes_of, recheck, tell_changes
from bot.research.search import search as research_search
from bot.status import render_replicas, render_status
from core.errors import ConfigError, StorageError
from core.records import Match, OutletConfig, StateChange
from core.research import PageChange
from feeds.canonical import canonical_url, url_key
from feeds.outlets import plan_sync
from storage import articles, monitor, outbox, outlets, replicas
from storage.lookup import (
    ArticleDetail,
    ArticleLine,
    article_detail,
    count_timeline,
    entry_timeline,
)

log = logging.getLogger(__name__)


def sync_outlets(
    engine: Engine, configs: Sequence[OutletConfig], default_every: timedelta, now: datetime
) -> None:
    """Make the outlet rows follow feeds.yaml (the policy: `feeds.outlets.plan_sync`)."""
    outlets.write_sync(
        engine, plan_sync(configs, outlets.configured_urls(engine), default_every, now)
    )


async def reload_config_if_changed(app: App, now: datetime) -> bool:
    """Pick up edits to config/*.yaml; a bad edit keeps the last good config running."""
    stamp = config_stamp(app.settings.config_dir)
    if stamp == app.config_stamp:
        return False
    app.config_stamp = stamp
    try:
        # In a thread: compiling a large edited watchlist takes seconds; the bot's
        # commands are answered meanwhile.
        config, matcher = await asyncio.to_thread(load_compiled, app.settings)
    except ConfigError as e:
        log.error("config not reloaded, the last good config keeps running:\n%s", e)
        await app.admin.report(
            "config",
            render_admin_error("config edit refused, the last good config keeps running", str(e)),
        )
        return False
    app.config, app.matcher = config, matcher
    sync_outlets(app.engine, config.outlets, app.settings.default_every, now)
    app.admin.resolved("config")
    log.info(
        "config reloaded: %d outlets, %d watchlist entries",
        len(config.outlets),
        len(config.watchlist.entry_ids()),
    )
    return True


async def poll(
    app: App, now: datetime, *, every_outlet: bool = False, tick: timedelta = timedelta(0)
) -> CycleReport:
    """One poll cycle (`bot.cycle.run_cycle`), then the health changes to the admin
    chat and the urgent alerts to every destination."""
    report = await run_cycle(app.cycle_deps(), now, every_outlet=every_outlet, tick=tick)
    await announce_changes(app, report.changes)
    await send_alerts(app, now)
    return report


async def announce_changes(app: App, changes: Sequence[StateChange]) -> None:
    """Outlet health changes to the admin chat."""
    if changes:
        await app.admin.announce(render_state_changes(changes))


async def send_alerts(app: App, now: datetime) -> Sent:
    """Every destination's pending urgent alerts, the destinations side by side: one that
    refuses or is slow never holds the others back. The total: articles sent, the first
    refusal, every message set aside."""
    results = await asyncio.gather(*(send_alerts_to(app, d, now) for d in app.destinations))
    errors = [s.error for s in results if s.error is not None]
    return Sent(
        sum(s.count for s in results),
        errors[0] if errors else None,
        tuple(m for s in results for m in s.set_aside),
    )


async def send_alerts_to(app: App, d: Destination, now: datetime) -> Sent:
    """One destination's pending urgent alerts (replica mode sends each destination as
    its own task); refusals go to the admin chat."""
    async with app.sending(d):
        sent = await send_urgent(
            app.engine, app.sender(d), d.tz, app.name_of, now, destination=d.id
        )
    await _delivered(app, d, sent)
    return sent


async def check_evidence(app: App, now: datetime) -> int:
    """Re-check the matched articles' pages that are due, then tell every destination
    the article went to what was edited, taken down or moved (side by side, as alerts
    are sent). Returns how many notices went out."""
    if app.pages is not None:
        await recheck(app.engine, app.pages, now)
    told = await asyncio.gather(*(_notices(app, d, now) for d in app.destinations))
    return sum(told)


async def _notices(app: App, d: Destination, now: datetime) -> int:
    async with app.sending(d):  # after the alerts of the same destination, never with them
        return await tell_changes(
            app.engine, app.sender(d), now, destination=d.id, chat=str(d.chat), topic=d.topic
        )


@dataclass(frozen=True, slots=True)
class DigestReport:
    """Articles sent per destination, and why a destination refused."""

    sent: dict[str, int] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(self.sent.values())


async def digest(app: App, now: datetime) -> DigestReport:
    """Send every destination's pending digest now (`trialwatch digest`, /digest)."""
    return await _digests(app, app.destinations, now)


async def due_digests(app: App, now: datetime) -> DigestReport:
    """Send the digest of each destination whose digest time has come
    (`destinations.digest_due`: its times, its quiet hours); the digest job's tick."""
    due = [
        d for d in app.destinations if digest_due(d, app.digests_at.get(d.id, app.started_at), now)
    ]
    return await _digests(app, due, now)


async def _digests(app: App, due: Sequence[Destination], now: datetime) -> DigestReport:
    results = await asyncio.gather(*(send_digest_to(app, d, now) for d in due))
    pairs = list(zip(due, results, strict=True))
    return DigestReport(
        {d.id: s.count for d, s in pairs if s.count},
        {d.id: str(s.error) for d, s in pairs if s.error},
    )


async def send_digest_to(app: App, d: Destination, now: datetime) -> Sent:
    """One destination's pending digest, now; refusals go to the admin chat."""
    app.digests_at[d.id] = now  # a refused digest waits for the next time, not the next tick
    async with app.sending(d):
        sent = await send_digest(
            app.engine, app.sender(d), d.tz, app.name_of, now, destination=d.id
        )
    await _delivered(app, d, sent)
    return sent


async def preview_digest(app: App, now: datetime) -> int:
    """Show every destination's pending digest through `app.notifier`, marking nothing
    sent; the number of articles in them."""
    shown = 0
    for d in app.destinations:
        messages = digest_messages(app.engine, d.tz, app.name_of, now, destination=d.id)
        if messages and len(app.destinations) > 1:
            await app.notifier.send(f"<b>to {d.label}</b>")
        for message in messages:
            await app.notifier.send(message.html)
        shown += sum(len(m.delivery_ids) for m in messages)
    return shown


REPLICAS_SHOWN = timedelta(days=1)  # `status` lists replicas that beat this recently


def status_text(engine: Engine, now: datetime, tz: ZoneInfo, lease: timedelta) -> str:
    """Each outlet's health, how many articles are stored and queued (per destination),
    and the replicas seen in the last day (replica mode; `lease`: TRIALWATCH_REPLICA_LEASE)."""
    counts = articles.counts(engine)
    queued = outbox.queued_by_destination(engine)
    where = ", ".join(f"{d} {n}" for d, n in sorted(queued.items()))
    text = (
        render_status(outlets.outlet_status(engine), now, tz)
        + f"\n\n{counts.articles} articles stored, {counts.queued} deliveries queued"
        + (f" ({where})" if queued else "")
        + (f", {counts.set_aside} set aside (refused by Telegram)" if counts.set_aside else "")
    )
    seen = replicas.replicas(engine, since=now - REPLICAS_SHOWN)
    if seen:
        text += f"\n\nreplicas (heartbeat in the last {REPLICAS_SHOWN.days * 24} h):\n"
        text += render_replicas(seen, now, tz, lease)
    return text


def health(engine: Engine, now: datetime) -> Verdict:
    """Is the monitor writing to this database alive?"""
    try:
        return judge(monitor.heartbeat(engine), now)
    except StorageError as e:
        return Verdict(False, f"unhealthy: {e}")


async def _delivered(app: App, d: Destination, sent: Sent) -> None:
    topic = f"delivery:{d.id}"
    for refused in sent.set_aside:
        await app.admin.announce(
            render_admin_error(
                f"a message for {d.label} was set aside; the ones after it went out", str(refused)
            )
        )
    if sent.error is not None:
        await app.admin.report(
            topic,
            render_admin_error(
                f"Telegram refuses messages for {d.label}; they stay queued", str(sent.error)
            ),
        )
    elif sent.count:
        app.admin.resolved(topic)


# The bot's commands (the CLI's `status` and `search` are the same services).

SEARCH_LIMIT = 10


def status_view(app: App, now: datetime) -> StatusView:
    """Outlets, the queue per destination, the last finished cycle, and the replicas
    that beat in the last day (as `status_text` lists them)."""
    heartbeat = monitor.heartbeat(app.engine)
    return StatusView(
        tuple(outlets.outlet_status(app.engine)),
        outbox.queued_by_destination(app.engine),
        tuple(d.id for d in app.destinations),
        heartbeat.cycle_at if heartbeat else None,
        tuple(replicas.replicas(app.engine, since=now - REPLICAS_SHOWN)),
        app.settings.lease,
        REPLICAS_SHOWN,
    )


def search(app: App, text: str, *, limit: int = SEARCH_LIMIT) -> list[ArticleLine]:
    """Latest articles about a name (any spelling or script) or holding the words:
    the research search, as `trialwatch search` runs it."""
    hits = research_search(app.engine, text, limit=limit, watchlist=app.config.watchlist)
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
    changes: dict[int, list[PageChange]] = field(default_factory=dict)  # by article id


def case_page(app: App, entry_id: str, page: int) -> CasePage | None:
    """One page of an entry's timeline, newest first, with the evidence changes of its
    articles (edited, taken down, moved); None for an unknown entry."""
    if entry_id not in app.config.watchlist.entry_ids():
        return None
    pages = max(1, ceil(count_timeline(app.engine, entry_id) / CASE_PAGE))
    lines = entry_timeline(app.engine, entry_id, limit=CASE_PAGE, offset=(page - 1) * CASE_PAGE)
    changes = page_changes_of(app.engine, [line.id for line in lines])
    return CasePage(app.name_of(entry_id), lines, page, pages, changes)


def why(app: App, link: str) -> ArticleDetail | None:
    """The stored article at `link` (as given or canonical), its matches and outbox rows."""
    link = link.strip().strip("<>")
    identity = url_key(link)
    return article_detail(app.engine, [link, canonical_url(link)], [identity] if identity else [])


@dataclass(frozen=True, slots=True)
class TestResult:
    matches: list[Match]
    urgent: bool
    routed: tuple[str, ...]


def test_text(app: App, text: str) -> TestResult:
    """What the watchlist finds in `text` (deliverable matches), and where it would go."""
    found = [m for m in app.matcher.match("", text) if m.deliverable]
    urgent = app.is_urgent(found)
    routed = destinations_for(ArticleFacts(tuple(found), "", urgent), app.destinations)
    return TestResult(found, urgent, routed)
