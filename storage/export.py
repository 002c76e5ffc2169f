"""Stored matches with their provenance, streamed in batches (constant memory).

Rows come by match id (the order they were stored), `batch` at a time, by
keyset pagination: no OFFSET, no server cursor, the same on SQLite and
PostgreSQL.
"""

import hashlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlmodel import col

from core.links import canonical_url
from core.research import ArticleFilter, ProvenanceRow, snapshot_text
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
                col(Delivery.sent_at),
                _latest_page_status(),
            )
            .join(Article, col(Article.id) == col(MatchRow.article_id))
            .join(Outlet, col(Outlet.id) == col(Article.outlet_id))
            .outerjoin(Delivery, col(Delivery.article_id) == col(Article.id))
            .where(col(MatchRow.id) > last)
        )
        if entry is not None:
            query = query.where(col(MatchRow.entry_id) == entry)
        query = filtered(query, article_filter).order_by(col(MatchRow.id)).limit(batch)
        rows = connection.execute(query).all()
        if not rows:
            return
        for row in rows:
            yield _provenance(row)
        last = rows[-1][0]


def _latest_page_status() -> sa.ScalarSelect[Any]:
    """The status of the article's latest evidence check of its page, if any."""
    return (
        sa.select(col(Snapshot.status))
        .where(col(Snapshot.article_id) == col(Article.id), col(Snapshot.source) == "page")
        .order_by(col(Snapshot.id).desc())
        .limit(1)
        .scalar_subquery()
    )


def _provenance(row: sa.Row[*tuple[Any, ...]]) -> ProvenanceRow:
    (match_id, outlet_id, outlet, key, url, title, text, published, seen, lang, entry_id,
     kind, form, score, reason, snippet, sent_at, page_status) = row  # fmt: skip
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
        delivered_at=aware(sent_at),
        evidence_sha256=digest,
        page_status=page_status,
    )
