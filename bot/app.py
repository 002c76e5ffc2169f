"""Wiring: the one place that builds trialwatch's parts and joins them.

`build_app(settings)` loads the config, opens the database and builds the httpx
client and the notifiers; `open_engine(settings)` is the database alone, for the
commands that need nothing else. `run_forever` schedules the jobs on an
APScheduler `AsyncIOScheduler` that this app owns (so polling works with no
Telegram token), and serves the bot's commands (`bot.commands`, python-telegram-bot's
`Application` receiving updates by long polling) on the same event loop when
TRIALWATCH_ADMINS is set. Jobs, commands and the CLI call the same `bot.services`.
"""

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from bot import memory, services
from bot.admin import AdminReporter
from bot.config import config_stamp, load_compiled, poll_floor_problem
from bot.context import App
from bot.notifier import ConsoleNotifier, Notifier
from bot.settings import Settings
from bot.workers import CpuPool, usable_cores
from core.errors import SettingsError
from feeds.fetch import make_client
from feeds.pages import PageFetcher
from storage import monitor
from storage.db import init_db, make_engine

if TYPE_CHECKING:
    from telegram.ext import ExtBot

__all__ = ["App", "build_app", "build_scheduler", "open_engine", "run_forever"]

log = logging.getLogger(__name__)
EVIDENCE_EVERY = timedelta(minutes=10)  # how often due evidence re-checks run
MAX_TICK = timedelta(seconds=30)


@contextlib.contextmanager
def open_engine(settings: Settings, *, migrate: bool = True) -> Iterator[Engine]:
    """The database, migrated unless `migrate` is False; disposed on exit."""
    engine = make_engine(settings.database_url)
    try:
        if migrate:
            init_db(engine)
        yield engine
    finally:
        engine.dispose()


@contextlib.asynccontextmanager
async def build_app(settings: Settings, *, notifier: Notifier | None = None) -> AsyncIterator[App]:
    """Everything a command needs, opened in order and closed in reverse.
    With `notifier` given (demo, dry runs, tests), Telegram is not contacted at all."""
    config, matcher = load_compiled(settings)
    if problem := poll_floor_problem(config.outlets, settings.poll_every):
        raise SettingsError(problem)
    with open_engine(settings) as engine:
        services.sync_outlets(engine, config.outlets, settings.default_every, datetime.now(UTC))
        async with contextlib.AsyncExitStack() as stack:
            client = await stack.enter_async_context(make_client())
            bot, admin = (None, None) if notifier else await _telegram(settings, stack)
            workers = _cpu_workers(settings, stack)
            yield App(
                settings,
                config,
                matcher,
                engine,
                client,
                notifier or ConsoleNotifier(),
                AdminReporter(admin),
                config_stamp(settings.config_dir),
                bot=bot,
                pages=PageFetcher(client),
                workers=workers,
            )


def _cpu_workers(settings: Settings, stack: contextlib.AsyncExitStack) -> CpuPool | None:
    """The worker processes for parsing and matching (TRIALWATCH_CPU_WORKERS, default
    one per usable core; 0: none). They start with the first large cycle."""
    count = usable_cores() if settings.cpu_workers is None else settings.cpu_workers
    if not count:
        return None
    pool = CpuPool(count)
    stack.callback(pool.close)
    return pool


async def _telegram(
    settings: Settings, stack: contextlib.AsyncExitStack
) -> tuple["ExtBot[int] | None", Notifier | None]:
    """(the bot every destination is sent through, the admin chat's notifier), or
    (None, None) in console mode."""
    if settings.telegram_token is None:
        log.info("no TRIALWATCH_TELEGRAM_TOKEN: console mode, printing what would be sent")
        return None, None
    from bot.notify import TelegramNotifier, greet, make_bot  # python-telegram-bot: with a token

    bot = make_bot(settings.telegram_token.get_secret_value(), settings.telegram_api)
    stack.push_async_callback(bot.shutdown)
    if problem := await greet(bot):
        log.error("%s", problem)  # one line, no traceback: the monitor runs on
    admin_chat = settings.admin_chat_id
    admin = None
    if admin_chat is not None:
        admin = TelegramNotifier(bot, admin_chat, setting="TRIALWATCH_TELEGRAM_ADMIN_CHAT")
    return bot, admin


def poll_tick(app: App) -> timedelta:
    """How often the clock looks for due outlets: 30 s, or the shortest interval configured."""
    return min(
        [MAX_TICK, app.settings.default_every, *(o.every for o in app.config.outlets if o.every)]
    )


def build_scheduler(app: App) -> AsyncIOScheduler:
    """The poll job every tick (30 s, or the shortest interval configured), and the
    digest job every tick too: it sends each destination's digest when its time has
    come (`destinations.digest_due`: digest times, quiet hours, live config)."""
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
    scheduler.add_job(
        _digest_job,
        IntervalTrigger(seconds=tick.total_seconds()),
        args=[app],
        id="digest",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        _evidence_job,
        IntervalTrigger(seconds=EVIDENCE_EVERY.total_seconds()),
        args=[app],
        id="evidence",
        max_instances=1,
        coalesce=True,
    )
    return scheduler


async def run_forever(app: App) -> None:
    """Poll on schedule and send digests until SIGINT or SIGTERM."""
    monitor.monitor_started(app.engine, datetime.now(UTC), app.settings.default_every)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    memory.settle()  # what start-up built lives as long as the process
    if app.settings.mode == "replica":
        from bot.replica import run_replica  # procrastinate: only replicas load it

        await run_replica(app, stop)
        return
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
    from bot.commands import build_commands, serve_commands

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
        if await services.reload_config_if_changed(app, now):
            memory.settle()  # the new matcher is long-lived too
        report = await services.poll(app, now, tick=tick)
        monitor.cycle_finished(app.engine, datetime.now(UTC))
        if report.results:
            memory.release()  # the cycle's bodies and parsed articles are freed by now


async def _evidence_job(app: App) -> None:
    async with _tracked(app):
        await services.check_evidence(app, datetime.now(UTC))


async def _digest_job(app: App) -> None:
    async with _tracked(app):
        await services.due_digests(app, datetime.now(UTC))


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
