"""Outlet rows: what feeds.yaml and the polls decided about each outlet.

Functions take the engine (or, inside another module's transaction, the session)
and return `core.records`, never ORM objects. They decide nothing: the policies
live in `feeds.outlets.plan_sync`, `feeds.decide` and `feeds.health`.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import Connection, Engine
from sqlmodel import Session, col, select

from core.records import OutletForPoll, OutletStatus, OutletSync, OutletUpdate, StateChange
from storage.convert import aware, error_kind, health
from storage.db import STARTUP_LOCK, serialize
from storage.errors import wrap_errors
from storage.models import Outlet


@wrap_errors
def configured_urls(engine: Engine) -> dict[str, str]:
    """Every stored outlet's id and the URL feeds.yaml gave it, active or not."""
    with Session(engine) as session:
        return {o.id: o.config_url for o in session.exec(select(Outlet))}


@wrap_errors
def write_sync(engine: Engine, syncs: Sequence[OutletSync]) -> None:
    """Make the outlet rows what `syncs` says; rows not in it become inactive (kept,
    with their articles)."""
    with Session(engine) as session, session.begin():
        serialize(session.connection(), STARTUP_LOCK)  # replicas starting together take turns
        rows = {o.id: o for o in session.exec(select(Outlet))}
        for stored in rows.values():
            stored.active = False
            session.add(stored)
        for sync in syncs:
            row = rows.get(sync.id)
            if row is None:
                row = Outlet(
                    id=sync.id,
                    name=sync.name,
                    config_url=sync.config_url,
                    url=sync.config_url,
                    lang=sync.lang,
                    every_seconds=0,
                )
            if sync.reset_at is not None:
                row.config_url = row.url = sync.config_url
                row.etag = row.last_modified = None
                row.next_poll_at = sync.reset_at
            row.name, row.lang, row.active = sync.name, sync.lang, True
            row.every_seconds = int(sync.every.total_seconds())
            session.add(row)


@wrap_errors
def outlets_for_poll(engine: Engine, now: datetime | None = None) -> list[OutletForPoll]:
    """Active outlets, by id; only those due at `now` when it is given."""
    query = select(Outlet).where(col(Outlet.active)).order_by(col(Outlet.id))
    if now is not None:
        query = query.where(col(Outlet.next_poll_at).is_(None) | (col(Outlet.next_poll_at) <= now))
    with Session(engine) as session:
        return [for_poll(o) for o in session.exec(query)]


def for_poll(o: Outlet) -> OutletForPoll:
    """The poll's view of an outlet row."""
    return OutletForPoll(
        id=o.id,
        name=o.name,
        url=o.url,
        lang=o.lang,
        every=timedelta(seconds=o.every_seconds),
        etag=o.etag,
        last_modified=o.last_modified,
        failures=o.failures,
        last_new_at=aware(o.last_new_at),
        new_gap=_gap(o),
        last_success_at=aware(o.last_success_at),
    )


def write_update(connection: Connection, u: OutletUpdate) -> None:
    """Record what a poll learned about an outlet, in the caller's transaction."""
    write_updates(connection, [u])


def write_updates(connection: Connection, updates: Sequence[OutletUpdate]) -> None:
    """Record what polls learned about outlets, in the caller's transaction: one
    executemany UPDATE per set of columns written (a success clears the error, a
    failure keeps the last success, ...). An outlet removed from feeds.yaml while it
    was being polled matches no row and is skipped."""
    groups: dict[tuple[str, ...], list[dict[str, object]]] = defaultdict(list)
    for u in updates:
        values = _columns(u)
        groups[tuple(values)].append(
            {f"v_{k}": v for k, v in values.items()} | {"o_id": u.outlet_id}
        )
    for columns, rows in groups.items():
        statement = (
            sa.update(Outlet)
            .where(col(Outlet.id) == sa.bindparam("o_id"))
            .values({c: sa.bindparam(f"v_{c}") for c in columns})
        )
        connection.execute(statement, rows)


def _columns(u: OutletUpdate) -> dict[str, object]:
    values: dict[str, object] = {
        "last_polled_at": u.polled_at,
        "next_poll_at": u.next_poll_at,
        "etag": u.etag,
        "last_modified": u.last_modified,
        "failures": u.failures,
        "last_status": u.status,
    }
    if u.error is None:
        values |= {"last_success_at": u.polled_at, "last_error": None, "error_kind": None}
    else:
        values |= {"last_error": u.error, "last_error_at": u.polled_at, "error_kind": u.error_kind}
    if u.moved_to:
        values["url"] = u.moved_to
    if u.new_gap is not None:
        values["new_gap_seconds"] = int(u.new_gap.total_seconds())
    if u.found_new:
        values["last_new_at"] = u.polled_at
    return values


@wrap_errors
def outlet_status(engine: Engine) -> list[OutletStatus]:
    """Every active outlet's health and what it is judged on, by id."""
    with Session(engine) as session:
        return [
            OutletStatus(
                id=o.id,
                name=o.name,
                url=o.url,
                state=health(o.state),
                failures=o.failures,
                last_error=o.last_error,
                last_success_at=aware(o.last_success_at),
                last_new_at=aware(o.last_new_at),
                error_kind=error_kind(o.error_kind),
                new_gap=_gap(o),
            )
            for o in session.exec(select(Outlet).where(col(Outlet.active)).order_by(col(Outlet.id)))
        ]


@wrap_errors
def write_states(engine: Engine, changes: Sequence[StateChange]) -> None:
    """Store the outlets' new health states (decided by `feeds.health.state_changes`)."""
    if not changes:
        return
    with Session(engine) as session, session.begin():
        for change in changes:
            row = session.get(Outlet, change.outlet_id)
            if row is not None:
                row.state = change.new
                session.add(row)


def _gap(row: Outlet) -> timedelta | None:
    return timedelta(seconds=row.new_gap_seconds) if row.new_gap_seconds else None
