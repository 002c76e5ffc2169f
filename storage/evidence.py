"""The evidence trail of matched articles: snapshots stored, and read back.

Stores and reads; decides nothing (feeds.evidence decides what a check means
and when the next is due).
"""

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlmodel import col

from core.records import ALERT_THRESHOLD
from core.research import SnapshotRecord, StoredArticle, Verdict, snapshot_text
from storage.models import Article, MatchRow, Snapshot
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
    connection: Connection, articles: Sequence[tuple[int, str, str, datetime]]
) -> None:
    """The feed text of newly matched (id, title, text, seen at) articles, hashed: stage 0."""
    rows = []
    for article_id, title, text, taken_at in articles:
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
    connection.execute(
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


@dataclass(frozen=True, slots=True)
class Untold:
    """A notable page snapshot the channel has not been told about yet."""

    snapshot_id: int
    article_id: int
    title: str
    url: str
    status: str
    http_status: int | None
    final_url: str | None
    diff: str | None


def untold(connection: Connection) -> list[Untold]:
    """Notable snapshots not yet told, oldest first."""
    query = (
        sa.select(
            col(Snapshot.id),
            col(Snapshot.article_id),
            col(Article.title),
            col(Article.url),
            col(Snapshot.status),
            col(Snapshot.http_status),
            col(Snapshot.final_url),
            col(Snapshot.diff),
        )
        .join(Article, col(Article.id) == col(Snapshot.article_id))
        .where(col(Snapshot.notable), col(Snapshot.told_at).is_(None))
        .order_by(col(Snapshot.id))
    )
    return [
        Untold(i or 0, article, title, url, status, http, final, diff)
        for i, article, title, url, status, http, final, diff in connection.execute(query)
    ]


def mark_told(connection: Connection, snapshot_id: int, now: datetime) -> None:
    connection.execute(
        sa.update(Snapshot).where(col(Snapshot.id) == snapshot_id).values(told_at=now)
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
    """Every snapshot of an article, oldest first."""
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
        )
        for r in connection.execute(query).mappings()
    ]
