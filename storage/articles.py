"""Articles and their matches, stored once per canonical key.

`apply` writes one poll's outcome in one transaction: the outlet row, the new
articles (their full-text index entries and, when matched, the first-sight evidence
snapshot), their matches and their outbox rows
(so an article is never stored without its delivery, nor queued twice).
`apply_many` writes several polls' outcomes the same way, in one transaction with
one executemany per table (a commit per outlet costs more than its rows).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import Connection, Engine, Table, func
from sqlmodel import Session, col, select

from core.records import ArticleIntent, Counts, KnownArticle, OutletUpdate
from storage import outbox
from storage.convert import IN_BATCH, match_row
from storage.db import insert_new
from storage.errors import wrap_errors
from storage.evidence import store_first_sight
from storage.models import Article, Delivery, MatchRow
from storage.outlets import write_updates
from storage.search import index_articles

_ARTICLE: Table = Article.__table__  # type: ignore[attr-defined]
_MATCH: Table = MatchRow.__table__  # type: ignore[attr-defined]


# Built once: a statement made per call costs more than the query it sends.
_KNOWN_KEYS = sa.select(_ARTICLE.c.key).where(
    _ARTICLE.c.key.in_(sa.bindparam("keys", expanding=True))
)
_BY_LINK = sa.select(
    _ARTICLE.c.key, _ARTICLE.c.outlet_id, _ARTICLE.c.guid, _ARTICLE.c.title, _ARTICLE.c.url_key
).where(_ARTICLE.c.url_key.in_(sa.bindparam("keys", expanding=True)))


@wrap_errors
def known_keys(engine: Engine, keys: Sequence[str]) -> set[str]:
    """The keys among `keys` already stored (by any outlet): one `IN (…)` query per
    IN_BATCH keys."""
    known: set[str] = set()
    with engine.connect() as connection:
        for i in range(0, len(keys), IN_BATCH):
            batch = keys[i : i + IN_BATCH]
            known.update(connection.execute(_KNOWN_KEYS, {"keys": batch}).scalars())
    return known


@wrap_errors
def articles_by_link(engine: Engine, url_keys: Sequence[str]) -> list[KnownArticle]:
    """The stored articles whose link identity is among `url_keys` (any outlet)."""
    found: list[KnownArticle] = []
    with engine.connect() as connection:
        for i in range(0, len(url_keys), IN_BATCH):
            rows = connection.execute(_BY_LINK, {"keys": url_keys[i : i + IN_BATCH]})
            found.extend(KnownArticle(*row) for row in rows)
    return found


@wrap_errors
def apply(engine: Engine, update: OutletUpdate, intents: Sequence[ArticleIntent]) -> None:
    """Store the outlet's fetch state, new articles, matches and deliveries at once:
    one transaction, three batched INSERTs (per-row statements cost ~1 ms each).
    Idempotent: an article already stored (another outlet, another replica, a
    retried task) is skipped with its matches, not a unique-violation error."""
    apply_many(engine, [(update, intents)])


@wrap_errors
def apply_many(
    engine: Engine, polls: Sequence[tuple[OutletUpdate, Sequence[ArticleIntent]]]
) -> None:
    """`apply` for several polls in one transaction. An article key given twice is
    stored once, for the first poll that gave it. Core executemany statements, not
    ORM objects: the ORM's per-row bookkeeping cost more than the rows themselves."""
    with Session(engine) as session, session.begin():
        connection = session.connection()
        write_updates(connection, [update for update, _ in polls])
        pairs = [(update, t) for update, intents in polls for t in intents]
        if not pairs:
            return
        ids = _insert_articles(connection, pairs)
        inserted = [(ids.pop(t.article.key), u, t) for u, t in pairs if t.article.key in ids]
        stored = [(i, t) for i, _, t in inserted]
        index_articles(connection, [(i, t.article.title, t.article.text) for i, t in stored])
        store_first_sight(
            connection,
            [
                (i, t.article.title, t.article.text, u.polled_at, t.raw)
                for i, u, t in inserted
                if t.matches
            ],
        )
        matches = [match_row(i, m) for i, t in stored for m in t.matches]
        if matches:
            connection.execute(sa.insert(_MATCH), matches)
        outbox.queue(session, stored, polls[0][0].polled_at)


@wrap_errors
def counts(engine: Engine) -> Counts:
    """How many articles, matches and deliveries are stored, and how many were sent."""
    with Session(engine) as session:

        def count(query: object) -> int:
            return int(session.exec(query).one())  # type: ignore[call-overload]

        return Counts(
            articles=count(select(func.count()).select_from(Article)),
            matches=count(select(func.count()).select_from(MatchRow)),
            deliveries=count(select(func.count()).select_from(Delivery)),
            sent=count(
                select(func.count()).select_from(Delivery).where(col(Delivery.sent_at).is_not(None))
            ),
            set_aside=count(
                select(func.count())
                .select_from(Delivery)
                .where(col(Delivery.set_aside_at).is_not(None))
            ),
        )


# The rows of the article table this transaction inserted: PostgreSQL stamps each row
# with the id of the transaction that inserted it (xmin), so the rows skipped because
# another outlet, replica or earlier try had stored them are not among them.
_INSERTED_HERE = sa.text(
    "SELECT key, id FROM article WHERE key = ANY(:keys) AND xmin = pg_current_xact_id()::xid"
)


def _insert_articles(
    connection: Connection, pairs: Sequence[tuple[OutletUpdate, ArticleIntent]]
) -> dict[str, int]:
    """Insert the articles, skipping keys already stored; {key: id} of the rows
    inserted here (two statements on PostgreSQL, one on SQLite)."""
    rows = [
        {
            "key": t.article.key,
            "url_key": t.article.url_key,
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
        for u, t in pairs
    ]
    statement = insert_new(connection, _ARTICLE)
    if connection.dialect.name == "postgresql":
        # psycopg pipelines a plain executemany in one round trip; with RETURNING,
        # SQLAlchemy sends multi-row VALUES statements instead, ~2× the time per row.
        connection.execute(statement, rows)
        found = connection.execute(_INSERTED_HERE, {"keys": [r["key"] for r in rows]})
    else:
        found = connection.execute(statement.returning(_ARTICLE.c.key, _ARTICLE.c.id), rows)
    return {row[0]: row[1] for row in found}
