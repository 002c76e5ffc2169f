"""Wiring: the one module that joins feeds, matchers, storage and Telegram.

`build_app(settings)` loads the config, opens the database and builds the
httpx client and the notifiers. `run_cycle` is one poll cycle plus urgent
alerts; `run_forever` schedules cycles and digests on an APScheduler
`AsyncIOScheduler` that this app owns (so polling works with no Telegram token),
and serves the bot's commands on the same event loop when TRIALWATCH_ADMINS is set.
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
from apscheduler.triggers.interval import IntervalTrigger
from telegram.ext import ExtBot

from bot.admin import AdminReporter
from bot.commands import build_commands, serve_commands
from bot.config import Config, config_stamp, load_config
from bot.deliver import send_digest, send_urgent
from bot.destinations import ArticleFacts, Destination, digest_due, route, single_destination
from bot.notify import ConsoleNotifier, Notifier, TelegramNotifier, make_bot
from bot.render import render_admin_error, render_state_changes
from bot.settings import Settings
from core.errors import ConfigError, DeliveryError
from core.records import ArticleIntent, Match, ParsedArticle
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
    bot: ExtBot[int] | None = None  # None: every destination gets `notifier` (console, tests)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    digests_at: dict[str, datetime] = field(default_factory=dict)  # destination → last digest
    _senders: dict[tuple[str, int | None], Notifier] = field(default_factory=dict)
    _sending: dict[str, asyncio.Lock] = field(default_factory=dict)  # one send per destination

    def sending(self, destination: Destination) -> asyncio.Lock:
        """Held while a destination's queue is being sent: the digest job and /digest (or
        alerts) never read the same pending rows at once, so nothing goes out twice."""
        return self._sending.setdefault(destination.id, asyncio.Lock())

    @property
    def destinations(self) -> tuple[Destination, ...]:
        """From destinations.yaml, else the one chat of TRIALWATCH_TELEGRAM_CHAT."""
        if self.config.destinations is not None:
            return self.config.destinations
        s = self.settings
        return tuple(single_destination(s.chat_id, s.digest_times, s.timezone))

    def sender(self, destination: Destination) -> Notifier:
        """The notifier for one destination's chat and topic."""
        if self.bot is None:
            return self.notifier
        key = (str(destination.chat), destination.topic)
        if key not in self._senders:
            setting = (
                "TRIALWATCH_TELEGRAM_CHAT"
                if self.config.destinations is None
                else f"the chat/topic of destination {destination.id} in destinations.yaml"
            )
            self._senders[key] = TelegramNotifier(
                self.bot, destination.chat, topic=destination.topic, setting=setting
            )
        return self._senders[key]

    def is_urgent(self, matches: list[Match]) -> bool:
        return is_urgent(matches, self.config.watchlist)

    def intent(self, article: ParsedArticle, lang: str) -> ArticleIntent:
        """What the matcher finds in a new article, and the destinations it goes to."""
        matches = self.matcher.match(article.title, article.text, lang)
        urgent = self.is_urgent(matches)
        routed = route(ArticleFacts(tuple(matches), lang, urgent), self.destinations)
        return ArticleIntent(article, lang, tuple(matches), urgent, routed)

    def name_of(self, entry_id: str) -> str:
        return self.config.watchlist.name_of(entry_id)


@contextlib.asynccontextmanager
async def build_app(settings: Settings, *, notifier: Notifier | None = None) -> AsyncIterator[App]:
    """Everything a command needs, opened in order and closed in reverse.
    With `notifier` given (demo, dry runs, tests), Telegram is not contacted at all."""
    config = _load(settings)
    engine = make_engine(settings.database_url)
    init_db(engine)
    store = Store(engine)
    store.sync_outlets(config.outlets, settings.default_every, datetime.now(UTC))
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(make_client())
        bot, admin = (None, None) if notifier else await _telegram(settings, stack)
        yield App(
            settings,
            config,
            compile_watchlist(config.watchlist),
            store,
            client,
            notifier or ConsoleNotifier(),
            AdminReporter(admin),
            config_stamp(settings.config_dir),
            bot=bot,
        )
    engine.dispose()


def _load(settings: Settings) -> Config:
    return load_config(
        settings.config_dir, digest_at=settings.digest_times, timezone=settings.timezone
    )


async def _telegram(
    settings: Settings, stack: contextlib.AsyncExitStack
) -> tuple[ExtBot[int] | None, Notifier | None]:
    """(the bot, the admin chat's notifier), or (None, None) in console mode."""
    if settings.telegram_token is None:
        log.info("no TRIALWATCH_TELEGRAM_TOKEN: console mode, printing what would be sent")
        return None, None
    bot = make_bot(settings.telegram_token.get_secret_value(), settings.telegram_api)
    await stack.enter_async_context(bot)
    admin_chat = settings.admin_chat_id
    admin = None
    if admin_chat is not None:
        admin = TelegramNotifier(bot, admin_chat, setting="TRIALWATCH_TELEGRAM_ADMIN_CHAT")
    return bot, admin


async def reload_config_if_changed(app: App, now: datetime) -> bool:
    """Pick up edits to config/*.yaml; a bad edit keeps the last good config running."""
    stamp = config_stamp(app.settings.config_dir)
    if stamp == app.config_stamp:
        return False
    app.config_stamp = stamp
    try:
        config = _load(app.settings)
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
    results = [r async for r in poll_outlets(app.client, outlets, app.store, app.intent, now)]
    changes = app.store.refresh_states(now)
    if changes:
        await app.admin.announce(render_state_changes(changes))
    await send_alerts(app, now)
    return results


async def send_alerts(app: App, now: datetime) -> None:
    """Every destination's pending urgent alerts, the destinations side by side: one that
    refuses or is slow never holds the others back."""
    await asyncio.gather(*(_alerts(app, d, now) for d in app.destinations))


async def _alerts(app: App, d: Destination, now: datetime) -> None:
    async with app.sending(d):
        result = await send_urgent(
            app.store, app.sender(d), d.tz, app.name_of, now, destination=d.id
        )
    await _delivered(app, d, result)


async def run_digest(
    app: App, now: datetime, *, force: bool = False
) -> tuple[dict[str, int], dict[str, str]]:
    """Send the digest of every destination whose digest time has come (all of them with
    `force`): (articles sent per destination, refusals per destination)."""
    due = [
        d
        for d in app.destinations
        if force or digest_due(d, app.digests_at.get(d.id, app.started_at), now)
    ]
    results = await asyncio.gather(*(_digest(app, d, now) for d in due))
    sent = {d.id: n for d, (n, _) in zip(due, results, strict=True) if n}
    errors = {d.id: str(e) for d, (_, e) in zip(due, results, strict=True) if e}
    return sent, errors


async def _digest(app: App, d: Destination, now: datetime) -> tuple[int, DeliveryError | None]:
    app.digests_at[d.id] = now  # a refused digest waits for the next time, not the next tick
    async with app.sending(d):
        result = await send_digest(
            app.store, app.sender(d), d.tz, app.name_of, now, destination=d.id
        )
    await _delivered(app, d, result)
    return result


async def _delivered(app: App, d: Destination, result: tuple[int, DeliveryError | None]) -> None:
    sent, error = result
    topic = f"delivery:{d.id}"
    if error is not None:
        await app.admin.report(
            topic,
            render_admin_error(
                f"Telegram refuses messages for {d.label}; they stay queued", str(error)
            ),
        )
    elif sent:
        app.admin.resolved(topic)


def build_scheduler(app: App) -> AsyncIOScheduler:
    """The poll job every tick (30 s, or the shortest interval configured), and the
    digest job every tick too: it sends each destination's digest when its time has
    come (`destinations.digest_due`: digest times, quiet hours, live config)."""
    scheduler = AsyncIOScheduler(timezone=app.settings.tz)
    tick = min(
        [MAX_TICK, app.settings.default_every, *(o.every for o in app.config.outlets if o.every)]
    )
    scheduler.add_job(
        _poll_job,
        IntervalTrigger(seconds=tick.total_seconds()),
        args=[app, tick],
        id="poll",
        next_run_time=datetime.now(UTC),
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        _digest_job,
        IntervalTrigger(seconds=tick.total_seconds()),
        args=[app],
        id="digest",
        max_instances=1,
        coalesce=True,
    )
    return scheduler


async def run_forever(app: App) -> None:
    """Poll on schedule and send digests until SIGINT or SIGTERM."""
    app.store.monitor_started(datetime.now(UTC), app.settings.default_every)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    scheduler = build_scheduler(app)
    scheduler.start()
    commands = _start_commands(app, stop)
    log.info(
        "trialwatch running: %d outlets, %d destinations",
        len(app.config.outlets),
        len(app.destinations),
    )
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        scheduler.shutdown(wait=False)
        await _let_jobs_finish(app)
        if commands is not None:
            await asyncio.wait_for(commands, STOP_GRACE * 2)


def _start_commands(app: App, stop: asyncio.Event) -> asyncio.Task[None] | None:
    """Serve the bot's commands next to the scheduler, when there is a token and admins."""
    settings = app.settings
    if settings.telegram_token is None or app.bot is None:
        return None
    if not settings.admin_ids:
        log.info("no TRIALWATCH_ADMINS: the bot's commands are off")
        return None
    application = build_commands(
        app, settings.telegram_token.get_secret_value(), settings.telegram_api, settings.admin_ids
    )
    return asyncio.create_task(serve_commands(application, stop))


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
