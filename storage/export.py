"""Stored matches with their provenance, streamed in batches (constant memory).

Rows come by match id (the order they were stored), `batch` at a time, by
keyset pagination: no OFFSET, no server cursor, the same on SQLite and
PostgreSQL. Each batch's deliveries (one outbox row per destination) and page
changes come in one query each, so a row stays one row per (article, entry).
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlmodel import col

from core.links import canonical_url
from core.research import ArticleFilter, PageChange, ProvenanceRow, Sent, snapshot_text
from storage.evidence import covering, page_changes
from storage.models import Article, Delivery, MatchRow, Outlet, Snapshot
from storage.search import aware, filtered

BATCH = 1000


def iter_provenance(
    connection: Connection, where: ArticleFilter, batch: int = BATCH
) -> Iterator[ProvenanceRow]:
    """Every stored match of the articles `where` selects (`where.entry`: that entry's only)."""
    last = 0
    entry = where.entry
    article_filter = ArticleFilter(since=where.since, outlet=where.outlet, lang=where.lang)
    while True:
        query = (
            sa.select(
                col(MatchRow.id),
                col(Article.outlet_id),
                col(Outlet.name),
                col(Article.key),
                col(Article.url),
                col(Article.title),
                col(Article.text),
                col(Article.published_at),
                col(Article.seen_at),
                col(Article.lang),
                col(MatchRow.entry_id),
                col(MatchRow.kind),
                col(MatchRow.form),
                col(MatchRow.score),
                col(MatchRow.reason),
                col(MatchRow.snippet),
                _latest_page_status(),
                col(Article.id),
            )
            .join(Article, col(Article.id) == col(MatchRow.article_id))
            .join(Outlet, col(Outlet.id) == col(Article.outlet_id))
            .where(col(MatchRow.id) > last)
        )
        if entry is not None:
            query = query.where(col(MatchRow.entry_id) == entry)
        query = filtered(query, article_filter).order_by(col(MatchRow.id)).limit(batch)
        rows = connection.execute(query).all()
        if not rows:
            return
        ids: list[int] = sorted({int(row[-1]) for row in rows})
        sent = _sent(connection, ids)
        changes = page_changes(connection, ids)
        for row in rows:
            article_id = int(row[-1])
            yield _provenance(row, sent.get(article_id, []), changes.get(article_id, []))
        last = rows[-1][0]


def _sent(connection: Connection, article_ids: list[int]) -> dict[int, list[Sent]]:
    """Where each article was delivered (one outbox row per destination), first sent first."""
    wanted = set(article_ids)
    found: dict[int, list[Sent]] = defaultdict(list)
    for ids in covering(col(Delivery.article_id), article_ids):
        query = (
            sa.select(
                col(Delivery.article_id),
                col(Delivery.sent_at),
                col(Delivery.destination),
                col(Delivery.chat),
                col(Delivery.topic),
            )
            .where(ids, col(Delivery.sent_at).is_not(None))
            .order_by(col(Delivery.sent_at), col(Delivery.id))
        )
        for article_id, sent_at, destination, chat, topic in connection.execute(query):
            at = aware(sent_at)
            if article_id in wanted and at is not None:
                found[article_id].append(Sent(at, destination, chat, topic))
    return found


def _latest_page_status() -> sa.ScalarSelect[Any]:
    """The status of the article's latest evidence check of its page, if any."""
    return (
        sa.select(col(Snapshot.status))
        .where(col(Snapshot.article_id) == col(Article.id), col(Snapshot.source) == "page")
        .order_by(col(Snapshot.id).desc())
        .limit(1)
        .scalar_subquery()
    )


def _provenance(
    row: sa.Row[*tuple[Any, ...]], sent: list[Sent], changes: list[PageChange]
) -> ProvenanceRow:
    (match_id, outlet_id, outlet, key, url, title, text, published, seen, lang, entry_id,
     kind, form, score, reason, snippet, page_status, _) = row  # fmt: skip
    digest = hashlib.sha256(snapshot_text(title, text).encode()).hexdigest()
    return ProvenanceRow(
        match_id=match_id,
        outlet_id=outlet_id,
        outlet=outlet,
        canonical_url=canonical_url(url) if url else key,  # keys need not be URLs
        url=url,
        title=title,
        published=aware(published),
        first_seen=aware(seen) or seen,
        lang=lang,
        entry_id=entry_id,
        kind=kind,
        form=form,
        score=score,
        reason=reason,
        snippet=snippet,
        delivered_at=sent[0].at if sent else None,
        evidence_sha256=digest,
        page_status=page_status,
        delivered_to=tuple(sent),
        page_changes=tuple(changes),
    )
