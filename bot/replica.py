"""Replica mode (`TRIALWATCH_MODE=replica`): N `trialwatch run` processes on one
PostgreSQL database share the work through procrastinate's task queue.

Each replica keeps the clock with APScheduler and runs a procrastinate worker:

    every tick     → defer poll_outlet(id) for each due outlet   queueing lock per outlet
                   → defer send_alerts(destination)              lock per destination
                     for each destination with urgent alerts waiting
                   → defer send_digest(destination, slot)        lock per destination
                     for each destination whose digest time came (its own times,
                     time zone and quiet hours) and is not yet recorded as sent
                   → defer housekeeping()                        lock: one at a time
                   → take over the jobs of replicas silent for a lease
    always         → the replica holding a PostgreSQL advisory lock answers the bot's
                     commands (/status lists the replicas); another takes over if it dies
    every hour     → remove_old_jobs()                           procrastinate's periodic task
                     (deferred once across replicas): finished jobs older than 3 days go

Queueing locks let at most one waiting job exist per key, so three clocks firing the same
tick enqueue one poll per outlet; a poll task claims its outlet (moves its next poll
time a lease ahead, renewed while it runs) and one that finds its outlet no longer due
(another replica polled or claimed it) does nothing, so an outlet is fetched by one
replica at a time and at most once per interval; locks make jobs with the same key
(sends to one destination) run one after another. Sending runs
under the destination's lock, so one replica at a time sends to a destination, and the
outbox stays the record of what was sent; two destinations send side by side. A digest
is recorded per (destination, slot), the slot being the scheduled time (not the clock
reading): the replicas whose clocks find it due after the first send nothing.

Takeover: a replica killed mid-task stops beating; after one lease
(TRIALWATCH_REPLICA_LEASE) the next tick of another replica hands its jobs back to the
queue (procrastinate's stalled-job retry), and they run again: a poll stores nothing
twice (inserts are idempotent), a send resends only what Telegram had accepted and the
killed replica had not yet recorded.
"""

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import procrastinate
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from procrastinate import builtin_tasks
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException
from procrastinate.jobs import Status
from sqlalchemy.engine import make_url

from bot import services
from bot.app import _let_jobs_finish, _start_commands, _tracked, poll_tick
from bot.context import App
from bot.cycle import poll_outlet as poll_one
from bot.cycle import refresh_health
from bot.destinations import Destination, digest_slot
from core.errors import StorageError
from storage import monitor
from storage import replicas as shared

log = logging.getLogger(__name__)

tasks = procrastinate.Blueprint()
NAMESPACE = "trialwatch"
DEFER_BATCH = 500
# Failed, cancelled and aborted jobs stay this long in procrastinate_jobs (to see what
# failed and why), then procrastinate's builtin cleanup removes them with their events;
# successful jobs are deleted as they finish.
JOBS_KEPT_HOURS = 72
# Telegram hands a bot's updates to one long poll at a time (a second gets 409 Conflict):
# the replica holding this session advisory lock answers the commands (storage.db's
# keys are 0x7477_0001 and _0002); the others try again every COMMANDS_RETRY seconds.
COMMANDS_LOCK = 0x7477_0003
COMMANDS_RETRY = 5.0
# A digest time the clocks missed (every replica down, or busy) is still sent this late;
# after that its articles wait for the next digest time.
DIGEST_GRACE = timedelta(hours=1)


@dataclass
class Replica:
    """One replica's view: the app, the task queue, who it is, what it has done."""

    app: App
    queue: procrastinate.App
    id: str
    done: int = 0  # tasks finished since the last heartbeat

    async def defer(self, task: str, lock: str | None, queueing_lock: str, **args: Any) -> bool:
        """Enqueue `task(**args)`; False when an identical job already waits."""
        deferrer = self.queue.configure_task(
            f"{NAMESPACE}:{task}", lock=lock, queueing_lock=queueing_lock
        )
        try:
            await deferrer.defer_async(**args)
        except AlreadyEnqueued:
            return False
        return True

    async def defer_polls(self, outlet_ids: list[str]) -> None:
        """One `poll_outlet` per outlet, in batches (one round trip per 500 outlets);
        a batch that meets a poll another replica just deferred goes one by one.
        A queueing lock per outlet, no procrastinate lock: procrastinate's job fetch
        checks a job's lock against every waiting job, which costs ~0.35 ms per waiting
        job on each fetch (370 ms at 1,000 waiting, measured; 27 ms flat without), so
        one poll at a time per outlet comes from `claim_if_due` instead."""
        name = f"{NAMESPACE}:poll_outlet"
        for i in range(0, len(outlet_ids), DEFER_BATCH):
            batch = outlet_ids[i : i + DEFER_BATCH]
            jobs = [
                self.queue.configure_task(name, queueing_lock=f"poll:{o}").make_new_job(outlet_id=o)
                for o in batch
            ]
            try:
                await self.queue.job_manager.batch_defer_jobs_async(jobs)
            except AlreadyEnqueued:
                for o in batch:
                    await self.defer("poll_outlet", None, f"poll:{o}", outlet_id=o)

    async def defer_alerts(self) -> None:
        """One `send_alerts` per destination with urgent alerts waiting."""
        ids = [d.id for d in self.app.destinations]
        waiting = await asyncio.to_thread(shared.alerts_waiting, self.app.engine, ids)
        for destination in waiting:
            await self.defer(
                "send_alerts",
                f"send:{destination}",
                f"alerts:{destination}",
                destination=destination,
            )

    async def defer_digests(self, now: datetime) -> None:
        """One `send_digest` per destination whose digest time has come and whose
        digest for it is not recorded yet."""
        due = {}
        for d in self.app.destinations:
            scheduled = digest_slot(d, now, DIGEST_GRACE)
            if scheduled is not None:
                due[(d.id, slot_name(d, scheduled))] = d
        done = await asyncio.to_thread(shared.digests_done, self.app.engine, list(due))
        for destination, slot in sorted(due.keys() - done):
            await self.defer(
                "send_digest",
                f"send:{destination}",
                f"digest:{destination}:{slot}",
                destination=destination,
                slot=slot,
            )

    def destination(self, destination_id: str) -> Destination | None:
        """The configured destination, or None (removed from destinations.yaml since
        its task was deferred: its deliveries wait until it is configured again)."""
        found = next((d for d in self.app.destinations if d.id == destination_id), None)
        if found is None:
            log.warning("destination %s is no longer configured: nothing sent", destination_id)
        return found


def replica_id(now: datetime) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{now:%H%M%S}"


def conninfo(database_url: str) -> str:
    """libpq's form of our SQLAlchemy URL (procrastinate talks to psycopg directly)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


def _replica(context: procrastinate.JobContext) -> Replica:
    replica = context.additional_context["replica"]
    assert isinstance(replica, Replica)
    return replica


@contextlib.contextmanager
def _counted(replica: Replica) -> Iterator[None]:
    yield
    replica.done += 1


@tasks.task(name="poll_outlet", pass_context=True)
async def poll_outlet(context: procrastinate.JobContext, outlet_id: str) -> None:
    """Claim the outlet if it is still due, poll it (the claim renewed while the poll
    outlasts a third of the lease), defer the alerts it produced."""
    replica, now = _replica(context), datetime.now(UTC)
    with _counted(replica):
        app = replica.app
        lease = app.settings.lease
        # Storage calls run in a thread: the loop keeps the other tasks' fetches moving.
        claim = shared.claim_if_due
        outlet = await asyncio.to_thread(claim, app.engine, outlet_id, now, now + lease)
        if outlet is None:
            return  # polled or claimed by another replica within its interval, or removed
        renewing = asyncio.create_task(_renew_claim(app, outlet_id, lease))
        try:
            result = await poll_one(app.cycle_deps(), outlet, now)
        finally:
            renewing.cancel()
        if result.matched:
            await replica.defer_alerts()


async def _renew_claim(app: App, outlet_id: str, lease: timedelta) -> None:
    while True:
        await asyncio.sleep(lease.total_seconds() / 3)
        until = datetime.now(UTC) + lease
        await asyncio.to_thread(shared.extend_claim, app.engine, outlet_id, until)


@tasks.task(name="send_alerts", pass_context=True)
async def send_alerts(context: procrastinate.JobContext, destination: str) -> None:
    """Send one destination's pending alerts, oldest first (under its lock)."""
    replica = _replica(context)
    with _counted(replica):
        d = replica.destination(destination)
        if d is not None:
            await services.send_alerts_to(replica.app, d, datetime.now(UTC))


@tasks.task(name="send_digest", pass_context=True)
async def send_digest(context: procrastinate.JobContext, destination: str, slot: str) -> None:
    """Send one destination's digest for `slot` unless a replica already has (under the
    destination's lock, so the check and the send are not interleaved with another's)."""
    replica = _replica(context)
    with _counted(replica):
        engine = replica.app.engine
        d = replica.destination(destination)
        if d is None or shared.digest_sent(engine, destination, slot):
            return
        sent = await services.send_digest_to(replica.app, d, datetime.now(UTC))
        shared.record_digest(engine, destination, slot, sent.count, datetime.now(UTC))
        log.info("digest %s for %s: %d articles", slot, destination, sent.count)


@tasks.task(name="housekeeping", pass_context=True)
async def housekeeping(context: procrastinate.JobContext) -> None:
    """Outlet health and the monitor heartbeat, once per tick across replicas."""
    replica = _replica(context)
    app, now = replica.app, datetime.now(UTC)
    with _counted(replica):
        changes = await asyncio.to_thread(refresh_health, app.engine, now)
        await services.announce_changes(app, changes)
        await asyncio.to_thread(monitor.cycle_finished, app.engine, now)


@tasks.periodic(cron="7 * * * *")
@tasks.task(name="remove_old_jobs", queueing_lock="remove_old_jobs", pass_context=True)
async def remove_old_jobs(context: procrastinate.JobContext, timestamp: int) -> None:
    """Hourly: remove the jobs finished more than JOBS_KEPT_HOURS ago, whatever their end
    (procrastinate's builtin `remove_old_jobs`, made periodic as its documentation shows;
    procrastinate defers it once per hour across all replicas). `timestamp`: the Unix time
    it was scheduled for."""
    await builtin_tasks.remove_old_jobs(
        context,
        max_hours=JOBS_KEPT_HOURS,
        remove_failed=True,
        remove_cancelled=True,
        remove_aborted=True,
    )


# Our tasks under one procrastinate App per process (registering renames the tasks, so it
# happens once); `connected` gives it the database.
QUEUE = procrastinate.App(connector=procrastinate.PsycopgConnector())
QUEUE.add_tasks_from(tasks, namespace=NAMESPACE)


@contextlib.asynccontextmanager
async def connected(database_url: str, *, max_size: int = 12) -> AsyncIterator[procrastinate.App]:
    """The task queue, open on `database_url` (PostgreSQL) until the block ends."""
    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo(database_url), min_size=2, max_size=max_size
    )
    with QUEUE.replace_connector(connector) as queue:
        async with queue.open_async():
            yield queue


async def take_over(replica: Replica) -> int:
    """Put the jobs of replicas silent for a lease back in the queue; how many.
    Run by every replica's clock, not as a task: a task could itself be one of the
    dead replica's jobs, holding its lock. Two replicas taking over the same job at
    once is harmless: the second finds it no longer running and skips it."""
    manager = replica.queue.job_manager
    lease = replica.app.settings.lease.total_seconds()
    taken = 0
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=lease):
        assert job.id is not None
        try:
            try:
                await manager.retry_job(job)
            except ConnectorException:
                # An identical job already waits (same queueing lock) and will do the
                # work: end this one so that it stops holding the lock.
                await manager.finish_job_by_id_async(job.id, Status.FAILED, delete_job=False)
        except ConnectorException:
            continue  # another replica took it over first
        log.warning("took over %s from a replica silent for %.0f s", job.call_string, lease)
        taken += 1
    return taken


def slot_name(destination: Destination, scheduled: datetime) -> str:
    """A digest time as the destination's local time, e.g. 2026-11-29T09:00:00."""
    return f"{scheduled.astimezone(destination.tz):%Y-%m-%dT%H:%M:%S}"


async def _tick(replica: Replica) -> None:
    app, now = replica.app, datetime.now(UTC)
    async with _tracked(app):
        await services.reload_config_if_changed(app, now)
        due = await asyncio.to_thread(shared.due_unqueued, app.engine, now, "poll:")
        await replica.defer_polls(due)
        await replica.defer_alerts()
        await replica.defer_digests(now)
        await replica.defer("housekeeping", "housekeeping", "housekeeping")
        await take_over(replica)
        done, replica.done = replica.done, 0
        await asyncio.to_thread(shared.beat, app.engine, replica.id, now, tasks_done=done)


def build_clock(replica: Replica) -> AsyncIOScheduler:
    """The tick: it only defers tasks (polls, sends, digests, housekeeping)."""
    settings = replica.app.settings
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    scheduler.add_job(
        _tick,
        # A third of the single-process tick: a poll task starts only once its outlet is
        # due (never early), so a finer clock keeps polls close to their interval.
        IntervalTrigger(seconds=max(poll_tick(replica.app).total_seconds() / 3, 2.0)),
        args=[replica],
        id="tick",
        next_run_time=datetime.now(UTC),
        max_instances=1,
        coalesce=True,
    )
    return scheduler


async def serve_commands(app: App, stop: asyncio.Event) -> None:
    """Answer the bot's commands (/status and the others) from one replica at a time,
    until `stop` is set: the one that holds COMMANDS_LOCK; when it dies its connection
    closes, PostgreSQL frees the lock, and another replica's next try takes it over."""
    if app.bot is None or not app.settings.admin_ids:
        return  # no commands: no token or no TRIALWATCH_ADMINS
    lock = shared.SessionLock(app.engine, COMMANDS_LOCK)
    try:
        while not _took(lock):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), COMMANDS_RETRY)
            if stop.is_set():
                return
        log.info("this replica answers the bot's commands")
        commands = _start_commands(app, stop)
        if commands is not None:
            await commands
    finally:
        lock.release()


def _took(lock: shared.SessionLock) -> bool:
    try:
        return lock.take()
    except StorageError as e:
        log.warning("commands lock not taken, trying again: %s", e)
        lock.release()
        return False


async def run_replica(app: App, stop: asyncio.Event) -> None:
    """Run the clock and a worker until `stop` is set; then finish running tasks."""
    settings = app.settings
    lease = settings.lease.total_seconds()
    now = datetime.now(UTC)
    # The pool serves the worker's own use (listen, fetch, finish, heartbeat) and the
    # clock's defers; tasks use SQLAlchemy's pool, except to defer alerts.
    async with connected(settings.database_url) as queue:
        replica = Replica(app, queue, replica_id(now))
        shared.register(app.engine, replica.id, socket.gethostname(), os.getpid(), now)
        worker = asyncio.create_task(
            queue.run_worker_async(
                name=replica.id,
                concurrency=settings.replica_concurrency,
                install_signal_handlers=False,
                additional_context={"replica": replica},
                update_heartbeat_interval=max(lease / 5, 0.2),
                stalled_worker_timeout=lease,
                fetch_job_polling_interval=max(lease / 5, 0.2),
                shutdown_graceful_timeout=3.0,
                delete_jobs="successful",
            )
        )
        clock = build_clock(replica)
        clock.start()
        commands = asyncio.create_task(serve_commands(app, stop))
        log.info("replica %s running: tasks on PostgreSQL, lease %.0f s", replica.id, lease)
        try:
            await stop.wait()
        finally:
            # Stop firing, let a tick under way finish (shutdown would cancel it mid-defer),
            # then stop the worker: procrastinate lets running tasks finish (3 s at most).
            clock.pause()
            await asyncio.sleep(0)  # a tick just submitted starts and registers
            await _let_jobs_finish(app)
            clock.shutdown(wait=False)
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            shared.stopped(app.engine, replica.id, datetime.now(UTC), tasks_done=replica.done)
            await asyncio.wait_for(commands, 10)
