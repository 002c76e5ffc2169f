"""Wiring: the one module that joins feeds, matchers, storage and Telegram.

`build_app(settings)` loads the config, opens the database and builds the
httpx client and the notifier. `run_cycle` is one poll cycle plus urgent
alerts; `run_forever` schedules cycles and digests on an APScheduler
`AsyncIOScheduler` that this app owns (so polling works with no Telegram token).
"""

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.admin import AdminReporter
from bot.config import Config, config_stamp, load_config
from bot.deliver import send_digest, send_urgent
from bot.notify import ConsoleNotifier, Notifier, TelegramNotifier, make_bot
from bot.render import render_admin_error, render_state_changes
from bot.settings import Settings
from core.errors import ConfigError, DeliveryError
from core.records import Match, ParsedArticle
from feeds.decide import due_by
from feeds.fetch import make_client
from feeds.poll import poll_outlets
from feeds.records import PollResult
from matchers import Matcher, compile_watchlist, is_urgent
from storage.db import init_db, make_engine
from storage.queries import Store

log = logging.getLogger(__name__)
MAX_TICK = timedelta(seconds=30)


@dataclass
class App:
    settings: Settings
    config: Config
    matcher: Matcher
    store: Store
    client: httpx.AsyncClient
    notifier: Notifier
    admin: AdminReporter
    config_stamp: tuple[float, ...] = ()
    jobs: set[asyncio.Task[None]] = field(default_factory=set)  # running poll/digest jobs

    def match(self, article: ParsedArticle, lang: str) -> tuple[tuple[Match, ...], bool]:
        matches = self.matcher.match(article.title, article.text, lang)
        return tuple(matches), is_urgent(matches, self.config.watchlist)

    def name_of(self, entry_id: str) -> str:
        return self.config.watchlist.name_of(entry_id)


@contextlib.asynccontextmanager
async def build_app(settings: Settings, *, notifier: Notifier | None = None) -> AsyncIterator[App]:
    """Everything a command needs, opened in order and closed in reverse.
    With `notifier` given (demo, dry runs, tests), Telegram is not contacted at all."""
    config = load_config(settings.config_dir)
    engine = make_engine(settings.database_url)
    init_db(engine)
    store = Store(engine)
    store.sync_outlets(config.outlets, settings.default_every, datetime.now(UTC))
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(make_client())
        channel, admin = (notifier, None) if notifier else await _notifiers(settings, stack)
        yield App(
            settings,
            config,
            compile_watchlist(config.watchlist),
            store,
            client,
            channel,
            AdminReporter(admin),
            config_stamp(settings.config_dir),
        )
    engine.dispose()


async def _notifiers(
    settings: Settings, stack: contextlib.AsyncExitStack
) -> tuple[Notifier, Notifier | None]:
    """(the channel, the admin chat or None)."""
    if settings.telegram_token is None:
        log.info("no TRIALWATCH_TELEGRAM_TOKEN: console mode, printing what would be sent")
        return ConsoleNotifier(), None
    bot = make_bot(settings.telegram_token.get_secret_value(), settings.telegram_api)
    await stack.enter_async_context(bot)
    admin_chat = settings.admin_chat_id
    admin = None
    if admin_chat is not None:
        admin = TelegramNotifier(bot, admin_chat, setting="TRIALWATCH_TELEGRAM_ADMIN_CHAT")
    return TelegramNotifier(bot, settings.chat_id), admin


async def reload_config_if_changed(app: App, now: datetime) -> bool:
    """Pick up edits to config/*.yaml; a bad edit keeps the last good config running."""
    stamp = config_stamp(app.settings.config_dir)
    if stamp == app.config_stamp:
        return False
    app.config_stamp = stamp
    try:
        config = load_config(app.settings.config_dir)
    except ConfigError as e:
        log.error("config not reloaded, the last good config keeps running:\n%s", e)
        await app.admin.report(
            "config",
            render_admin_error("config edit refused, the last good config keeps running", str(e)),
        )
        return False
    app.config, app.matcher = config, compile_watchlist(config.watchlist)
    app.store.sync_outlets(config.outlets, app.settings.default_every, now)
    app.admin.resolved("config")
    log.info(
        "config reloaded: %d outlets, %d watchlist entries",
        len(config.outlets),
        len(config.watchlist.entry_ids()),
    )
    return True


async def run_cycle(
    app: App, now: datetime, *, every_outlet: bool = False, tick: timedelta = timedelta(0)
) -> list[PollResult]:
    """Poll due outlets (or all of them), store what is new, send urgent alerts.
    `tick`: the scheduler's interval; outlets due within half of it count as due now."""
    outlets = app.store.outlets_for_poll(None if every_outlet else due_by(now, tick))
    results = [r async for r in poll_outlets(app.client, outlets, app.store, app.match, now)]
    changes = app.store.refresh_states(now)
    if changes:
        await app.admin.announce(render_state_changes(changes))
    await _delivered(
        app, await send_urgent(app.store, app.notifier, app.settings.tz, app.name_of, now)
    )
    return results


async def run_digest(app: App, now: datetime) -> int:
    result = await send_digest(app.store, app.notifier, app.settings.tz, app.name_of, now)
    await _delivered(app, result)
    return result[0]


async def _delivered(app: App, result: tuple[int, DeliveryError | None]) -> None:
    sent, error = result
    if error is not None:
        await app.admin.report(
            "delivery",
            render_admin_error("Telegram refuses messages; they stay queued", str(error)),
        )
    elif sent:
        app.admin.resolved("delivery")


def poll_tick(app: App) -> timedelta:
    """How often the clock looks for due outlets: 30 s, or the shortest interval configured."""
    return min(
        [MAX_TICK, app.settings.default_every, *(o.every for o in app.config.outlets if o.every)]
    )


def build_scheduler(app: App) -> AsyncIOScheduler:
    """The poll job every tick (30 s, or the shortest interval configured) and a
    digest job at each TRIALWATCH_DIGEST_AT time, in TRIALWATCH_TIMEZONE."""
    scheduler = AsyncIOScheduler(timezone=app.settings.tz)
    tick = poll_tick(app)
    scheduler.add_job(
        _poll_job,
        IntervalTrigger(seconds=tick.total_seconds()),
        args=[app, tick],
        id="poll",
        next_run_time=datetime.now(UTC),
        max_instances=1,
        coalesce=True,
    )
    for at in app.settings.digest_times:
        scheduler.add_job(
            _digest_job,
            CronTrigger(hour=at.hour, minute=at.minute, second=at.second, timezone=app.settings.tz),
            args=[app],
            id=f"digest-{at:%H%M}",
            coalesce=True,
            misfire_grace_time=3600,
        )
    return scheduler


async def run_forever(app: App) -> None:
    """Poll on schedule and send digests until SIGINT or SIGTERM."""
    app.store.monitor_started(datetime.now(UTC), app.settings.default_every)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if app.settings.mode == "replica":
        from bot.replica import run_replica  # procrastinate: only replicas load it

        await run_replica(app, stop)
        return
    scheduler = build_scheduler(app)
    scheduler.start()
    log.info(
        "trialwatch running: %d outlets, digest at %s",
        len(app.config.outlets),
        app.settings.digest_at,
    )
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        scheduler.shutdown(wait=False)
        await _let_jobs_finish(app)


STOP_GRACE = 3.0  # seconds a running cycle gets to finish its send and record it


async def _let_jobs_finish(app: App) -> None:
    """Give a running cycle or digest a moment to finish: a send cut off between
    Telegram's acceptance and our record of it is the one way to repeat a message."""
    running = [task for task in app.jobs if not task.done()]
    if not running:
        return
    _, pending = await asyncio.wait(running, timeout=STOP_GRACE)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


async def _poll_job(app: App, tick: timedelta) -> None:
    async with _tracked(app):
        now = datetime.now(UTC)  # one clock reading per cycle, as close to the tick as can be
        await reload_config_if_changed(app, now)
        await run_cycle(app, now, tick=tick)
        app.store.cycle_finished(datetime.now(UTC))


async def _digest_job(app: App) -> None:
    async with _tracked(app):
        await run_digest(app, datetime.now(UTC))


@contextlib.asynccontextmanager
async def _tracked(app: App) -> AsyncIterator[None]:
    task = asyncio.current_task()
    assert task is not None
    app.jobs.add(task)
    try:
        yield
    except asyncio.CancelledError:
        log.info("a job was interrupted by shutdown; what it had not recorded stays queued")
    finally:
        app.jobs.discard(task)
