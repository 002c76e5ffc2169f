"""What replicas share besides the task queue: their heartbeats, the digests already
sent, and whether an outlet is still due when its poll task starts. Stores; decides nothing."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine, text, update
from sqlmodel import Session, col, select

from core.records import OutletForPoll
from storage.convert import aware
from storage.db import insert_new
from storage.errors import wrap_errors
from storage.models import Delivery, DigestRun, Outlet, Replica
from storage.outlets import for_poll


@dataclass
class SessionLock:
    """A PostgreSQL session advisory lock `key` that one process at a time holds for as
    long as it runs: the connection stays open while it is held, and a process that dies
    loses the lock with its connection. PostgreSQL only."""

    engine: Engine
    key: int
    held: bool = False
    _connection: Connection | None = field(default=None, repr=False)

    @wrap_errors
    def take(self) -> bool:
        """Try to take the lock, without waiting; True when this process holds it."""
        if self.held:
            return True
        if self._connection is None:
            self._connection = self.engine.connect()
        query = text("SELECT pg_try_advisory_lock(:key)")
        self.held = bool(self._connection.execute(query, {"key": self.key}).scalar_one())
        self._connection.commit()  # the lock outlives the transaction: idle, not in one
        return self.held

    @wrap_errors
    def release(self) -> None:
        """Give the lock up (a pooled connection must not keep it) and the connection back."""
        if self._connection is None:
            return
        if self.held:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self._connection.commit()
            self.held = False
        self._connection.close()
        self._connection = None


@dataclass(frozen=True, slots=True)
class ReplicaStatus:
    id: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    tasks_done: int
    stopped_at: datetime | None


@wrap_errors
def register(engine: Engine, replica_id: str, host: str, pid: int, now: datetime) -> None:
    with Session(engine) as session, session.begin():
        session.add(Replica(id=replica_id, host=host, pid=pid, started_at=now, heartbeat_at=now))


@wrap_errors
def beat(engine: Engine, replica_id: str, now: datetime, *, tasks_done: int = 0) -> None:
    """Record that the replica is alive, and the tasks it finished since its last beat."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(Replica)
            .where(col(Replica.id) == replica_id)
            .values(heartbeat_at=now, tasks_done=Replica.tasks_done + tasks_done)
        )


@wrap_errors
def stopped(engine: Engine, replica_id: str, now: datetime, *, tasks_done: int = 0) -> None:
    with Session(engine) as session, session.begin():
        session.execute(
            update(Replica)
            .where(col(Replica.id) == replica_id)
            .values(stopped_at=now, tasks_done=Replica.tasks_done + tasks_done)
        )


@wrap_errors
def replicas(engine: Engine, since: datetime) -> list[ReplicaStatus]:
    """Replicas that beat at or after `since`, or stopped after it; oldest first."""
    query = (
        select(Replica).where(col(Replica.heartbeat_at) >= since).order_by(col(Replica.started_at))
    )
    with Session(engine) as session:
        return [
            ReplicaStatus(
                r.id,
                r.host,
                r.pid,
                aware(r.started_at) or since,
                aware(r.heartbeat_at) or since,
                r.tasks_done,
                aware(r.stopped_at),
            )
            for r in session.exec(query)
        ]


@wrap_errors
def claim_if_due(
    engine: Engine, outlet_id: str, now: datetime, until: datetime
) -> OutletForPoll | None:
    """Claim the outlet for one poll if it is active and due at `now`: its next_poll_at
    moves to `until` (now + the lease), so no other replica finds it due meanwhile; the
    poll's own write then sets the real next poll time. None when another replica has
    polled or claimed it (next_poll_at in the future) or it was removed. A replica that
    dies mid-poll leaves the claim to run out: the outlet is due again at `until`."""
    with Session(engine) as session, session.begin():
        o = session.get(Outlet, outlet_id, with_for_update=True)  # claims one at a time
        if o is None or not o.active:
            return None
        next_at = aware(o.next_poll_at)
        if next_at is not None and next_at > now:
            return None
        outlet = for_poll(o)
        o.next_poll_at = until
        return outlet


@wrap_errors
def extend_claim(engine: Engine, outlet_id: str, until: datetime) -> None:
    """Keep a poll's claim while it runs (a slow outlet outlasting the lease); a poll
    time already written past `until` stays."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(Outlet)
            .where(col(Outlet.id) == outlet_id, col(Outlet.next_poll_at) < until)
            .values(next_poll_at=until)
        )


@wrap_errors
def due_unqueued(engine: Engine, now: datetime, lock_prefix: str) -> list[str]:
    """Ids of active outlets due at `now` that have no poll job waiting (procrastinate's
    jobs whose queueing lock is `lock_prefix` + id): what a tick must defer. A poll
    running has claimed its outlet (`claim_if_due`): not due.
    PostgreSQL only, like the task queue. One query instead of a refused defer each."""
    query = text(
        "SELECT o.id FROM outlet o WHERE o.active "
        "AND (o.next_poll_at IS NULL OR o.next_poll_at <= :now) "
        # a probe on procrastinate's partial unique index of waiting jobs
        "AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j "
        "WHERE j.queueing_lock = :prefix || o.id AND j.status = 'todo') "
        "ORDER BY o.next_poll_at NULLS FIRST, o.id"
    )
    with engine.connect() as connection:
        return list(connection.execute(query, {"now": now, "prefix": lock_prefix}).scalars())


@wrap_errors
def alerts_waiting(engine: Engine, destinations: Sequence[str]) -> list[str]:
    """Which of `destinations` have urgent deliveries to send (unsent, not set aside):
    those a send task is deferred for, in the order given."""
    query = (
        select(Delivery.destination)
        .where(
            col(Delivery.urgent),
            col(Delivery.sent_at).is_(None),
            col(Delivery.set_aside_at).is_(None),
            col(Delivery.destination).in_(destinations),
        )
        .distinct()
    )
    with Session(engine) as session:
        waiting = set(session.exec(query))
    return [d for d in destinations if d in waiting]


@wrap_errors
def digests_done(engine: Engine, slots: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (destination, slot) pairs of `slots` have had their digest sent."""
    if not slots:
        return set()
    query = select(DigestRun.destination, DigestRun.slot).where(
        col(DigestRun.destination).in_({d for d, _ in slots}),
        col(DigestRun.slot).in_({s for _, s in slots}),
        col(DigestRun.done_at).is_not(None),
    )
    with Session(engine) as session:
        return {(d, s) for d, s in session.exec(query)} & set(slots)


@wrap_errors
def digest_sent(engine: Engine, destination: str, slot: str) -> bool:
    with Session(engine) as session:
        row = session.get(DigestRun, (destination, slot))
        return row is not None and row.done_at is not None


@wrap_errors
def record_digest(engine: Engine, destination: str, slot: str, sent: int, now: datetime) -> None:
    with Session(engine) as session, session.begin():
        session.execute(
            insert_new(session, DigestRun),
            [{"destination": destination, "slot": slot, "done_at": now, "sent": sent}],
        )
