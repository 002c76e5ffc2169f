"""The outbox: one row per (article, destination) that must reach it exactly once.

A row is written with its article (`queue`, inside `articles.apply`), and marked
sent only after Telegram accepted the message that holds it.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from core.records import DEFAULT_DESTINATION, ArticleIntent, DeliveryItem, Match
from storage.convert import IN_BATCH, aware, match_of
from storage.db import insert_new
from storage.errors import wrap_errors
from storage.models import Article, Delivery, MatchRow, Outlet


def queue(session: Session, stored: Sequence[tuple[int, ArticleIntent]], at: datetime) -> None:
    """Queue the deliverable articles among those just inserted ((article id, intent)
    pairs), one row per destination the intent names, in the caller's transaction; an
    (article, destination) already queued is skipped."""
    rows = [
        {"article_id": i, "destination": d, "urgent": t.urgent, "created_at": at, "attempts": 0}
        for i, t in stored
        if t.deliverable
        for d in t.destinations
    ]
    if rows:
        session.execute(insert_new(session, Delivery), rows)


@wrap_errors
def pending(
    engine: Engine, *, urgent: bool, destination: str = DEFAULT_DESTINATION
) -> list[DeliveryItem]:
    """One destination's unsent deliveries of one kind, oldest first."""
    query = (
        select(Delivery, Article, Outlet)
        .join(Article, col(Article.id) == Delivery.article_id)
        .join(Outlet, col(Outlet.id) == Article.outlet_id)
        .where(
            col(Delivery.sent_at).is_(None),
            col(Delivery.set_aside_at).is_(None),
            col(Delivery.urgent) == urgent,
            col(Delivery.destination) == destination,
        )
        .order_by(col(Delivery.id))
    )
    with Session(engine) as session:
        rows = list(session.exec(query))
        matches = _matches_by_article(session, [a.id for _, a, _ in rows if a.id])
        items = []
        for d, a, o in rows:
            seen = aware(a.seen_at)
            assert seen is not None  # NOT NULL column
            items.append(
                DeliveryItem(
                    delivery_id=d.id or 0,
                    urgent=d.urgent,
                    outlet=o.name,
                    title=a.title,
                    url=a.url,
                    published=aware(a.published_at),
                    seen=seen,
                    matches=tuple(matches.get(a.id or 0, ())),
                    author=a.author,
                    lang=a.lang,
                )
            )
        return items


@wrap_errors
def mark_sent(
    engine: Engine,
    delivery_ids: Sequence[int],
    now: datetime,
    *,
    chat: str | None = None,
    topic: int | None = None,
    message_id: int | None = None,
) -> None:
    """Record that Telegram accepted the message holding these deliveries, and where it
    put it (`chat` as configured, forum `topic`, `message_id`; None off Telegram)."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(Delivery)
            .where(col(Delivery.id).in_(delivery_ids), col(Delivery.sent_at).is_(None))
            .values(
                sent_at=now,
                attempts=Delivery.attempts + 1,
                last_error=None,
                chat=chat,
                topic=topic,
                message_id=message_id,
            )
        )


@wrap_errors
def mark_failed(engine: Engine, delivery_ids: Sequence[int], error: str) -> None:
    """Keep the deliveries queued and remember why they did not go out."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(Delivery)
            .where(col(Delivery.id).in_(delivery_ids))
            .values(attempts=Delivery.attempts + 1, last_error=error)
        )


@wrap_errors
def queued_by_destination(engine: Engine) -> dict[str, int]:
    """Unsent outbox rows per destination id (set-aside rows are not queued)."""
    query = (
        select(Delivery.destination, func.count())
        .where(col(Delivery.sent_at).is_(None), col(Delivery.set_aside_at).is_(None))
        .group_by(col(Delivery.destination))
    )
    with Session(engine) as session:
        return {destination: int(n) for destination, n in session.exec(query)}


@wrap_errors
def set_aside(engine: Engine, delivery_ids: Sequence[int], error: str, now: datetime) -> None:
    """Take deliveries out of the queue without sending them (Telegram refused their
    message in every form), keeping why; they no longer hold later ones back."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(Delivery)
            .where(col(Delivery.id).in_(delivery_ids), col(Delivery.sent_at).is_(None))
            .values(set_aside_at=now, attempts=Delivery.attempts + 1, last_error=error)
        )


def _matches_by_article(session: Session, article_ids: list[int]) -> dict[int, list[Match]]:
    found: dict[int, list[Match]] = defaultdict(list)
    for i in range(0, len(article_ids), IN_BATCH):
        batch = article_ids[i : i + IN_BATCH]
        query = (
            select(MatchRow).where(col(MatchRow.article_id).in_(batch)).order_by(col(MatchRow.id))
        )
        for r in session.exec(query):
            found[r.article_id].append(match_of(r))
    return found
