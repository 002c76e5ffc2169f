"""The evidence trail of matched articles: snapshots stored, and read back.

Stores and reads; decides nothing (feeds.evidence decides what a check means
and when the next is due).
"""

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlmodel import col

from core.records import ALERT_THRESHOLD, RawItem
from core.research import (
    NoticeRecord,
    Original,
    PageChange,
    SnapshotRecord,
    StoredArticle,
    Verdict,
    snapshot_text,
)
from storage.models import Article, Delivery, MatchRow, Notice, Snapshot
from storage.search import aware, load_articles


@dataclass(frozen=True, slots=True)
class PageTrail:
    """A matched article and its page snapshots so far, oldest first."""

    article_id: int
    url: str
    title: str
    seen: datetime
    snapshots: tuple[Snapshot, ...]


def store_first_sight(
    connection: Connection,
    articles: Sequence[tuple[int, str, str, datetime, RawItem | None]],
) -> None:
    """The feed text of newly matched (id, title, text, seen at, item XML as served)
    articles, hashed: stage 0; the item's XML and its hash when it was found."""
    rows = []
    for article_id, title, text, taken_at, raw in articles:
        snapshot = snapshot_text(title, text)
        rows.append(
            {
                "article_id": article_id,
                "taken_at": taken_at,
                "source": "feed",
                "stage": 0,
                "status": "first",
                "sha256": hashlib.sha256(snapshot.encode("utf-8")).hexdigest(),
                "text": snapshot,
                "raw": raw.xml if raw else None,
                "raw_sha256": raw.sha256 if raw else None,
            }
        )
    if rows:
        connection.execute(sa.insert(Snapshot), rows)


def page_trails(connection: Connection, seen_since: datetime) -> list[PageTrail]:
    """Articles first seen since `seen_since` with a deliverable match, and their page
    snapshots."""
    matched = (
        sa.select(col(Article.id), col(Article.url), col(Article.title), col(Article.seen_at))
        .where(
            col(Article.seen_at) >= seen_since,
            sa.exists().where(
                col(MatchRow.article_id) == col(Article.id), col(MatchRow.score) >= ALERT_THRESHOLD
            ),
        )
        .order_by(col(Article.id))
    )
    articles = connection.execute(matched).all()
    snapshots: dict[int, list[Snapshot]] = defaultdict(list)
    ids = [a[0] for a in articles]
    for i in range(0, len(ids), 500):
        query = (
            sa.select(Snapshot)
            .where(col(Snapshot.article_id).in_(ids[i : i + 500]), col(Snapshot.source) == "page")
            .order_by(col(Snapshot.id))
        )
        for row in connection.execute(query).mappings():
            snapshots[row["article_id"]].append(Snapshot(**row))
    return [
        PageTrail(i, url, title, aware(seen) or seen_since, tuple(snapshots.get(i, ())))
        for i, url, title, seen in articles
        if i is not None
    ]


def add_page_snapshot(
    connection: Connection, article_id: int, stage: int, verdict: Verdict, taken_at: datetime
) -> None:
    """Store one page check; a notable one (edited, taken down, moved) also queues a
    notice for every destination the article was queued for, in the same transaction,
    so a notice is never lost between the check and the channel."""
    result = connection.execute(
        sa.insert(Snapshot).values(
            article_id=article_id,
            taken_at=taken_at,
            source="page",
            stage=stage,
            status=verdict.status,
            http_status=verdict.http_status,
            final_url=verdict.final_url,
            sha256=verdict.sha256,
            text=verdict.text,
            diff=verdict.diff,
            error=verdict.error,
            notable=verdict.notable,
        )
    )
    if not verdict.notable:
        return
    [snapshot_id] = result.inserted_primary_key or (None,)
    destinations = (
        sa.select(
            sa.literal(snapshot_id),
            col(Delivery.article_id),
            col(Delivery.destination),
            sa.literal(taken_at, sa.DateTime(timezone=True)),
            sa.literal(0),
        )
        .where(col(Delivery.article_id) == article_id)
        .order_by(col(Delivery.id))
    )
    connection.execute(
        sa.insert(Notice).from_select(
            ["snapshot_id", "article_id", "destination", "created_at", "attempts"], destinations
        )
    )


@dataclass(frozen=True, slots=True)
class PendingNotice:
    """A notice a destination has not received yet, with the article's own message."""

    notice_id: int
    snapshot_id: int
    article_id: int
    title: str
    url: str
    status: str
    http_status: int | None
    final_url: str | None
    diff: str | None
    original: Original | None


def pending_notices(connection: Connection, destination: str) -> list[PendingNotice]:
    """One destination's unsent notices, oldest first."""
    query = (
        sa.select(
            col(Notice.id),
            col(Notice.snapshot_id),
            col(Notice.article_id),
            col(Article.title),
            col(Article.url),
            col(Snapshot.status),
            col(Snapshot.http_status),
            col(Snapshot.final_url),
            col(Snapshot.diff),
            col(Delivery.id),
            col(Delivery.urgent),
            col(Delivery.sent_at),
            col(Delivery.set_aside_at),
            col(Delivery.chat),
            col(Delivery.topic),
            col(Delivery.message_id),
        )
        .join(Snapshot, col(Snapshot.id) == col(Notice.snapshot_id))
        .join(Article, col(Article.id) == col(Notice.article_id))
        .outerjoin(
            Delivery,
            (col(Delivery.article_id) == col(Notice.article_id))
            & (col(Delivery.destination) == col(Notice.destination)),
        )
        .where(
            col(Notice.destination) == destination,
            col(Notice.sent_at).is_(None),
            col(Notice.set_aside_at).is_(None),
        )
        .order_by(col(Notice.id))
    )
    found = []
    for row in connection.execute(query):
        (notice_id, snapshot_id, article_id, title, url, status, http, final, diff) = row[:9]
        delivery_id, urgent, sent_at, set_aside_at, chat, topic, message_id = row[9:]
        original = None
        if delivery_id is not None:
            original = Original(
                bool(urgent), aware(sent_at), set_aside_at is not None, chat, topic, message_id
            )
        found.append(
            PendingNotice(
                notice_id or 0,
                snapshot_id,
                article_id,
                title,
                url,
                status,
                http,
                final,
                diff,
                original,
            )
        )
    return found


def mark_notice_sent(
    connection: Connection,
    notice_id: int,
    now: datetime,
    *,
    how: str,
    chat: str | None = None,
    topic: int | None = None,
    message_id: int | None = None,
    reply_to: int | None = None,
) -> None:
    """Telegram accepted the notice (`how`: reply, or why it went on its own); when
    every destination has its notice, the snapshot is told."""
    connection.execute(
        sa.update(Notice)
        .where(col(Notice.id) == notice_id, col(Notice.sent_at).is_(None))
        .values(
            sent_at=now,
            attempts=col(Notice.attempts) + 1,
            last_error=None,
            how=how,
            chat=chat,
            topic=topic,
            message_id=message_id,
            reply_to=reply_to,
        )
    )
    _told_when_done(connection, notice_id, now)


def mark_notice_failed(connection: Connection, notice_id: int, error: str) -> None:
    """The notice stays queued; remember why it did not go out."""
    connection.execute(
        sa.update(Notice)
        .where(col(Notice.id) == notice_id)
        .values(attempts=col(Notice.attempts) + 1, last_error=error)
    )


def set_notice_aside(connection: Connection, notice_id: int, error: str, now: datetime) -> None:
    """Telegram refused the notice in every form: out of the queue, with why."""
    connection.execute(
        sa.update(Notice)
        .where(col(Notice.id) == notice_id, col(Notice.sent_at).is_(None))
        .values(set_aside_at=now, attempts=col(Notice.attempts) + 1, last_error=error)
    )
    _told_when_done(connection, notice_id, now)


def _told_when_done(connection: Connection, notice_id: int, now: datetime) -> None:
    snapshot_id = connection.execute(
        sa.select(col(Notice.snapshot_id)).where(col(Notice.id) == notice_id)
    ).scalar()
    waiting = sa.exists().where(
        col(Notice.snapshot_id) == snapshot_id,
        col(Notice.sent_at).is_(None),
        col(Notice.set_aside_at).is_(None),
    )
    connection.execute(
        sa.update(Snapshot)
        .where(col(Snapshot.id) == snapshot_id, col(Snapshot.told_at).is_(None), ~waiting)
        .values(told_at=now)
    )


def find_article(connection: Connection, links: Sequence[str]) -> StoredArticle | None:
    """The stored article whose link or identity key is one of `links`."""
    query = sa.select(col(Article.id)).where(
        col(Article.key).in_(links) | col(Article.url).in_(links)
    )
    found = connection.execute(query.order_by(col(Article.id)).limit(1)).scalar()
    articles = load_articles(connection, [found]) if found is not None else []
    return articles[0] if articles else None


def trail(connection: Connection, article_id: int) -> list[SnapshotRecord]:
    """Every snapshot of an article, oldest first, with the notices of notable ones."""
    told: dict[int, list[NoticeRecord]] = defaultdict(list)
    notices = sa.select(Notice).where(col(Notice.article_id) == article_id).order_by(col(Notice.id))
    for n in connection.execute(notices).mappings():
        told[n["snapshot_id"]].append(
            NoticeRecord(
                n["destination"],
                aware(n["sent_at"]),
                n["how"],
                n["reply_to"],
                n["message_id"],
                n["set_aside_at"] is not None,
            )
        )
    query = (
        sa.select(Snapshot).where(col(Snapshot.article_id) == article_id).order_by(col(Snapshot.id))
    )
    return [
        SnapshotRecord(
            taken_at=aware(r["taken_at"]) or r["taken_at"],
            source=r["source"],
            stage=r["stage"],
            status=r["status"],
            http_status=r["http_status"],
            final_url=r["final_url"],
            sha256=r["sha256"],
            diff=r["diff"],
            error=r["error"],
            raw_sha256=r["raw_sha256"],
            notices=tuple(told.get(r["id"], ())),
        )
        for r in connection.execute(query).mappings()
    ]


def page_changes(connection: Connection, article_ids: Sequence[int]) -> dict[int, list[PageChange]]:
    """The notable page checks (edited, taken down, moved) of these articles, oldest
    first, each with the hash of the page text before it (and after, when edited)."""
    wanted = set(article_ids)
    changes: dict[int, list[PageChange]] = defaultdict(list)
    for ids in covering(col(Snapshot.article_id), article_ids):
        query = (
            sa.select(
                col(Snapshot.article_id),
                col(Snapshot.status),
                col(Snapshot.taken_at),
                col(Snapshot.sha256),
                col(Snapshot.http_status),
                col(Snapshot.final_url),
                col(Snapshot.notable),
            )
            .where(
                ids,
                col(Snapshot.source) == "page",
                col(Snapshot.notable) | col(Snapshot.sha256).is_not(None),
            )
            .order_by(col(Snapshot.article_id), col(Snapshot.id))
        )
        last: dict[int, str | None] = {}
        for article_id, status, taken_at, sha256, http, final, notable in connection.execute(query):
            if article_id not in wanted:
                continue
            before = last.get(article_id)
            if notable:
                after = sha256 if status == "changed" else None
                when = aware(taken_at)
                assert when is not None  # NOT NULL column
                changes[article_id].append(PageChange(status, when, before, after, http, final))
            if sha256 is not None:
                last[article_id] = sha256
    return changes


def covering(column: Any, ids: Sequence[int], chunk: int = 500) -> list[sa.ColumnElement[bool]]:
    """Conditions on `column` that together select at least `ids`: one range when the ids
    are dense (a batch of rows stored one after another: the database walks the index
    once instead of binding hundreds of values; the caller drops ids it did not ask for),
    else IN lists of `chunk`."""
    if not ids:
        return []
    low, high = min(ids), max(ids)
    if high - low < 2 * len(ids):
        return [column.between(low, high)]
    ordered = sorted(set(ids))
    return [column.in_(ordered[i : i + chunk]) for i in range(0, len(ordered), chunk)]
