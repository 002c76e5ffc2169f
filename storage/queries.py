"""Queries. They take and return the pipeline's frozen records, never ORM objects."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, insert, update
from sqlmodel import Session, col, select

from core.records import (
    HEALTH_STATES,
    ArticleIntent,
    DeliveryItem,
    Health,
    HeartbeatRecord,
    Match,
    OutletConfig,
    OutletForPoll,
    OutletStatus,
    OutletUpdate,
    StateChange,
)
from feeds.decide import outlet_state
from storage.db import STARTUP_LOCK, insert_new, serialize
from storage.errors import wrap_errors
from storage.models import Article, Delivery, Heartbeat, MatchRow, Outlet
from storage.search import index_articles

_IN_BATCH = 500  # keys per IN (...) query; well under SQLite's variable limit


class Store:
    """The database, as the poll cycle and delivery use it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @wrap_errors
    def sync_outlets(
        self, configs: Sequence[OutletConfig], default_every: timedelta, now: datetime
    ) -> None:
        """Make the outlet rows follow feeds.yaml; removed outlets are kept, inactive.
        Replicas starting together sync one at a time (`serialize`)."""
        with Session(self.engine) as session:
            serialize(session.connection(), STARTUP_LOCK)
            rows = {o.id: o for o in session.exec(select(Outlet))}
            for stored in rows.values():
                stored.active = False
            for config in configs:
                every = int((config.every or default_every).total_seconds())
                row = rows.get(config.id)
                if row is None:
                    row = Outlet(
                        id=config.id,
                        name=config.name,
                        config_url=config.url,
                        url=config.url,
                        lang=config.lang,
                        every_seconds=every,
                        next_poll_at=now,
                    )
                elif row.config_url != config.url:
                    # The user changed the URL: forget redirects and validators.
                    row.config_url = row.url = config.url
                    row.etag = row.last_modified = None
                    row.next_poll_at = now
                row.name, row.lang, row.every_seconds, row.active = (
                    config.name,
                    config.lang,
                    every,
                    True,
                )
                session.add(row)
            session.commit()

    @wrap_errors
    def outlets_for_poll(self, now: datetime | None = None) -> list[OutletForPoll]:
        """Active outlets; only those due at `now` when it is given."""
        query = select(Outlet).where(col(Outlet.active)).order_by(col(Outlet.id))
        if now is not None:
            query = query.where(
                col(Outlet.next_poll_at).is_(None) | (col(Outlet.next_poll_at) <= now)
            )
        with Session(self.engine) as session:
            return [
                OutletForPoll(
                    id=o.id,
                    name=o.name,
                    url=o.url,
                    lang=o.lang,
                    every=timedelta(seconds=o.every_seconds),
                    etag=o.etag,
                    last_modified=o.last_modified,
                    failures=o.failures,
                )
                for o in session.exec(query)
            ]

    @wrap_errors
    def known_keys(self, keys: Sequence[str]) -> set[str]:
        known: set[str] = set()
        with Session(self.engine) as session:
            for i in range(0, len(keys), _IN_BATCH):
                batch = keys[i : i + _IN_BATCH]
                known.update(session.exec(select(Article.key).where(col(Article.key).in_(batch))))
        return known

    @wrap_errors
    def apply(self, update_: OutletUpdate, intents: Sequence[ArticleIntent]) -> None:
        """Store the outlet's fetch state, new articles, matches and deliveries at once:
        one transaction, three batched INSERTs (per-row statements cost ~1 ms each).
        Idempotent: an article already stored (another outlet, another replica, a
        retried task) is skipped with its matches, not a unique-violation error."""
        with Session(self.engine) as session, session.begin():
            _update_outlet(session, update_, bool(intents))
            if not intents:
                return
            ids = _insert_articles(session, update_, intents)
            stored = [(ids[t.article.key], t) for t in intents if t.article.key in ids]
            index_articles(
                session.connection(), [(i, t.article.title, t.article.text) for i, t in stored]
            )
            matches = [_match_row(i, m) for i, t in stored for m in t.matches]
            if matches:
                session.execute(insert(MatchRow), matches)
            deliveries = [
                {
                    "article_id": i,
                    "urgent": t.urgent,
                    "created_at": update_.polled_at,
                    "attempts": 0,
                }
                for i, t in stored
                if t.deliverable
            ]
            if deliveries:
                session.execute(insert_new(session, Delivery), deliveries)

    @wrap_errors
    def pending(self, *, urgent: bool) -> list[DeliveryItem]:
        """Unsent deliveries of one kind, oldest first."""
        query = (
            select(Delivery, Article, Outlet)
            .join(Article, col(Article.id) == Delivery.article_id)
            .join(Outlet, col(Outlet.id) == Article.outlet_id)
            .where(col(Delivery.sent_at).is_(None), col(Delivery.urgent) == urgent)
            .order_by(col(Delivery.id))
        )
        with Session(self.engine) as session:
            rows = list(session.exec(query))
            matches = _matches_by_article(session, [a.id for _, a, _ in rows if a.id])
            return [
                DeliveryItem(
                    delivery_id=d.id or 0,
                    urgent=d.urgent,
                    outlet=o.name,
                    title=a.title,
                    url=a.url,
                    published=_aware(a.published_at),
                    seen=_aware(a.seen_at) or datetime.now(UTC),
                    matches=tuple(matches.get(a.id or 0, ())),
                    author=a.author,
                    lang=a.lang,
                )
                for d, a, o in rows
            ]

    @wrap_errors
    def mark_sent(self, delivery_ids: Sequence[int], now: datetime) -> None:
        """Record that Telegram accepted the message holding these deliveries."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(Delivery)
                .where(col(Delivery.id).in_(delivery_ids), col(Delivery.sent_at).is_(None))
                .values(sent_at=now, attempts=Delivery.attempts + 1, last_error=None)
            )

    @wrap_errors
    def mark_failed(self, delivery_ids: Sequence[int], error: str) -> None:
        """Keep the deliveries queued and remember why they did not go out."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(Delivery)
                .where(col(Delivery.id).in_(delivery_ids))
                .values(attempts=Delivery.attempts + 1, last_error=error)
            )

    @wrap_errors
    def counts(self) -> dict[str, int]:
        """Row counts for summaries and tests."""
        with Session(self.engine) as session:

            def count(query: object) -> int:
                return int(session.exec(query).one())  # type: ignore[call-overload]

            return {
                "articles": count(select(func.count()).select_from(Article)),
                "matches": count(select(func.count()).select_from(MatchRow)),
                "deliveries": count(select(func.count()).select_from(Delivery)),
                "sent": count(
                    select(func.count())
                    .select_from(Delivery)
                    .where(col(Delivery.sent_at).is_not(None))
                ),
            }

    @wrap_errors
    def monitor_started(self, now: datetime, every: timedelta) -> None:
        """Record that `trialwatch run` started, polling every `every`."""
        with Session(self.engine) as session, session.begin():
            row = session.get(Heartbeat, "monitor") or Heartbeat(name="monitor", every_seconds=0)
            row.started_at, row.cycle_at = now, None
            row.every_seconds = int(every.total_seconds())
            session.add(row)

    @wrap_errors
    def cycle_finished(self, now: datetime) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(Heartbeat).where(col(Heartbeat.name) == "monitor").values(cycle_at=now)
            )

    @wrap_errors
    def heartbeat(self) -> HeartbeatRecord | None:
        with Session(self.engine) as session:
            row = session.get(Heartbeat, "monitor")
            if row is None or row.started_at is None:
                return None
            return HeartbeatRecord(
                _aware(row.started_at) or row.started_at,
                _aware(row.cycle_at),
                timedelta(seconds=row.every_seconds),
            )

    @wrap_errors
    def refresh_states(self, now: datetime) -> list[StateChange]:
        """Recompute every active outlet's health; return the ones that changed."""
        changes = []
        with Session(self.engine) as session, session.begin():
            for o in session.exec(select(Outlet).where(col(Outlet.active))):
                gap = timedelta(seconds=o.new_gap_seconds) if o.new_gap_seconds else None
                state = outlet_state(
                    failures=o.failures,
                    error_kind=o.error_kind,
                    last_new_at=_aware(o.last_new_at),
                    new_gap=gap,
                    now=now,
                )
                if state != o.state:
                    changes.append(StateChange(o.id, o.name, _health(o.state), state, o.last_error))
                    o.state = state
                    session.add(o)
        return sorted(changes, key=lambda c: c.outlet_id)

    @wrap_errors
    def outlet_status(self) -> list[OutletStatus]:
        with Session(self.engine) as session:
            return [
                OutletStatus(
                    o.id,
                    o.name,
                    o.url,
                    _health(o.state),
                    o.failures,
                    o.last_error,
                    _aware(o.last_success_at),
                    _aware(o.last_new_at),
                )
                for o in session.exec(
                    select(Outlet).where(col(Outlet.active)).order_by(col(Outlet.id))
                )
            ]


def _update_outlet(session: Session, u: OutletUpdate, found_new: bool) -> None:
    row = session.get(Outlet, u.outlet_id)
    if row is None:
        return  # removed from feeds.yaml while it was being polled
    row.last_polled_at, row.next_poll_at = u.polled_at, u.next_poll_at
    row.etag, row.last_modified = u.etag, u.last_modified
    row.failures, row.last_status = u.failures, u.status
    if u.error is None:
        row.last_success_at, row.last_error, row.error_kind = u.polled_at, None, None
    else:
        row.last_error, row.last_error_at, row.error_kind = u.error, u.polled_at, u.error_kind
    if u.moved_to:
        row.url = u.moved_to
    if found_new:
        last = _aware(row.last_new_at)
        if last is not None:
            gap = (u.polled_at - last).total_seconds()
            old = row.new_gap_seconds or gap
            row.new_gap_seconds = int(0.7 * old + 0.3 * gap)
        row.last_new_at = u.polled_at
    session.add(row)


def _insert_articles(
    session: Session, u: OutletUpdate, intents: Sequence[ArticleIntent]
) -> dict[str, int]:
    """Insert the articles in one statement, skipping keys already stored;
    {key: id} of the rows this statement inserted."""
    rows = [
        {
            "key": t.article.key,
            "outlet_id": u.outlet_id,
            "url": t.article.url,
            "guid": t.article.guid,
            "title": t.article.title,
            "text": t.article.text,
            "author": t.article.author,
            "lang": t.lang,
            "published_at": t.article.published,
            "seen_at": u.polled_at,
        }
        for t in intents
    ]
    statement = insert_new(session, Article).returning(col(Article.key), col(Article.id))
    return {row[0]: row[1] for row in session.execute(statement, rows)}


# Match fields stored under another column name; `snippet_mark` is two columns.
_COLUMN_OF = {"start": "start_offset", "end": "end_offset"}
_MATCH_FIELDS = [f.name for f in fields(Match) if f.name != "snippet_mark"]


def _match_row(article_id: int, m: Match) -> dict[str, object]:
    row: dict[str, object] = {_COLUMN_OF.get(n, n): getattr(m, n) for n in _MATCH_FIELDS}
    row["mark_start"], row["mark_end"] = m.snippet_mark
    return {"article_id": article_id, **row}


def _match(row: MatchRow) -> Match:
    values = {n: getattr(row, _COLUMN_OF.get(n, n)) for n in _MATCH_FIELDS}
    return Match(**values, snippet_mark=(row.mark_start, row.mark_end))


def _matches_by_article(session: Session, article_ids: list[int]) -> dict[int, list[Match]]:
    found: dict[int, list[Match]] = defaultdict(list)
    for i in range(0, len(article_ids), _IN_BATCH):
        batch = article_ids[i : i + _IN_BATCH]
        query = (
            select(MatchRow).where(col(MatchRow.article_id).in_(batch)).order_by(col(MatchRow.id))
        )
        for r in session.exec(query):
            found[r.article_id].append(_match(r))
    return found


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _health(value: str) -> Health:
    """The stored state column as its type; only `outlet_state` ever writes it."""
    assert value in HEALTH_STATES, value
    return value
