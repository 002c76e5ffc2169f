"""The monitor's heartbeat: when `trialwatch run` started and last finished a poll
cycle (`trialwatch health` and the Docker HEALTHCHECK read it)."""

from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col

from core.records import HeartbeatRecord
from storage.convert import aware
from storage.db import STARTUP_LOCK, serialize
from storage.errors import wrap_errors
from storage.models import Heartbeat

_NAME = "monitor"


@wrap_errors
def monitor_started(engine: Engine, now: datetime, every: timedelta) -> None:
    """Record that `trialwatch run` started, polling every `every`. Replicas starting
    together take turns (`serialize`): the first creates the row, the others update it."""
    with Session(engine) as session, session.begin():
        serialize(session.connection(), STARTUP_LOCK)
        row = session.get(Heartbeat, _NAME) or Heartbeat(name=_NAME, every_seconds=0)
        row.started_at, row.cycle_at = now, None
        row.every_seconds = int(every.total_seconds())
        session.add(row)


@wrap_errors
def cycle_finished(engine: Engine, now: datetime) -> None:
    """Record that a poll cycle finished at `now`."""
    with Session(engine) as session, session.begin():
        session.execute(update(Heartbeat).where(col(Heartbeat.name) == _NAME).values(cycle_at=now))


@wrap_errors
def heartbeat(engine: Engine) -> HeartbeatRecord | None:
    """The last start and cycle, or None if no `trialwatch run` started on this database."""
    with Session(engine) as session:
        row = session.get(Heartbeat, _NAME)
        if row is None or row.started_at is None:
            return None
        return HeartbeatRecord(
            aware(row.started_at) or row.started_at,
            aware(row.cycle_at),
            timedelta(seconds=row.every_seconds),
        )
