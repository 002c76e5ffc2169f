"""What trialwatch does, as functions the CLI, the scheduler's jobs and the bot's
commands all call: one implementation of each (poll, digest, status, health)."""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.config import config_stamp, load_config
from bot.context import App
from bot.cycle import CycleReport, run_cycle
from bot.deliver import Sent, digest_messages, send_digest, send_urgent
from bot.health import Verdict, judge
from bot.render import render_admin_error, render_state_changes
from bot.research.evidence import recheck, tell_changes
from bot.status import render_replicas, render_status
from core.errors import ConfigError, StorageError
from core.records import OutletConfig, StateChange
from feeds.outlets import plan_sync
from matchers import compile_watchlist
from storage import articles, monitor, outlets, replicas

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
        config = load_config(app.settings.config_dir)
    except ConfigError as e:
        log.error("config not reloaded, the last good config keeps running:\n%s", e)
        await app.admin.report(
            "config",
            render_admin_error("config edit refused, the last good config keeps running", str(e)),
        )
        return False
    app.config, app.matcher = config, compile_watchlist(config.watchlist)
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
    chat and the urgent alerts to the channel."""
    report = await run_cycle(app.cycle_deps(), now, every_outlet=every_outlet, tick=tick)
    await announce_changes(app, report.changes)
    await send_alerts(app, now)
    return report


async def announce_changes(app: App, changes: Sequence[StateChange]) -> None:
    """Outlet health changes to the admin chat."""
    if changes:
        await app.admin.announce(render_state_changes(changes))


async def send_alerts(app: App, now: datetime) -> Sent:
    """Send the pending urgent alerts now."""
    sent = await send_urgent(app.engine, app.notifier, app.settings.tz, app.name_of, now)
    await _delivered(app, sent)
    return sent


async def check_evidence(app: App, now: datetime) -> int:
    """Re-check the matched articles' pages that are due, then tell the channel
    what was edited, taken down or moved. Returns how many notices went out."""
    if app.pages is not None:
        await recheck(app.engine, app.pages, now)
    return await tell_changes(app.engine, app.notifier, now)


async def digest(app: App, now: datetime) -> Sent:
    """Send the pending digest now."""
    sent = await send_digest(app.engine, app.notifier, app.settings.tz, app.name_of, now)
    await _delivered(app, sent)
    return sent


async def preview_digest(app: App, now: datetime) -> int:
    """Show the pending digest through `app.notifier`, marking nothing sent; the
    number of articles in it."""
    messages = digest_messages(app.engine, app.settings.tz, app.name_of, now)
    for message in messages:
        await app.notifier.send(message.html)
    return sum(len(m.delivery_ids) for m in messages)


REPLICAS_SHOWN = timedelta(days=1)  # `status` lists replicas that beat this recently


def status_text(engine: Engine, now: datetime, tz: ZoneInfo, lease: timedelta) -> str:
    """Each outlet's health, how many articles are stored and queued, and the
    replicas seen in the last day (replica mode; `lease`: TRIALWATCH_REPLICA_LEASE)."""
    counts = articles.counts(engine)
    text = (
        render_status(outlets.outlet_status(engine), now, tz)
        + f"\n\n{counts.articles} articles stored, {counts.queued} deliveries queued"
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


async def _delivered(app: App, sent: Sent) -> None:
    for refused in sent.set_aside:
        await app.admin.announce(
            render_admin_error("a message was set aside; the ones after it went out", str(refused))
        )
    if sent.error is not None:
        await app.admin.report(
            "delivery",
            render_admin_error("Telegram refuses messages; they stay queued", str(sent.error)),
        )
    elif sent.count:
        app.admin.resolved("delivery")
