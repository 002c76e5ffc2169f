"""The full-text index of stored articles, in the database's own engine.

    SQLite       article_fts: FTS5 table (doc, names), rowid = article.id,
                 unicode61 tokenizer; a trigger drops an entry with its article
    PostgreSQL   article_search (article_id, doc tsvector, names tsvector),
                 GIN indexes; ON DELETE CASCADE drops an entry with its article

`doc` and `names` are made by `matchers.searchkeys` (the same strings on both
databases). `index_articles` runs on the connection of the transaction that
stores the articles, so a stored article is always searchable; migration 0004
creates the index and fills it for the rows already there.

Queries return article ids, newest first (published time, else first seen);
`load_articles` turns ids into `StoredArticle` records.
"""

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlmodel import col

from core.research import EVERY_ARTICLE, ArticleFilter, StoredArticle
from matchers.searchkeys import name_keys, search_doc
from storage.models import Article, MatchRow, Outlet

SQLITE_TABLE = "article_fts"
POSTGRES_TABLE = "article_search"
INDEX_TABLES = (SQLITE_TABLE, POSTGRES_TABLE)  # plus FTS5's shadow tables article_fts_*
_BATCH = 500
AnySelect = sa.Select[*tuple[Any, ...]]

_fts = sa.table(SQLITE_TABLE, sa.column("rowid"), sa.column("doc"), sa.column("names"))
_pg = sa.table(POSTGRES_TABLE, sa.column("article_id"), sa.column("doc"), sa.column("names"))


def create_index(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(
            f"CREATE VIRTUAL TABLE {SQLITE_TABLE} USING fts5("
            "doc, names, tokenize = 'unicode61 remove_diacritics 2')"
        )
        connection.exec_driver_sql(
            f"CREATE TRIGGER {SQLITE_TABLE}_article_deleted AFTER DELETE ON article "
            f"BEGIN DELETE FROM {SQLITE_TABLE} WHERE rowid = old.id; END"
        )
        return
    connection.exec_driver_sql(
        f"CREATE TABLE {POSTGRES_TABLE} ("
        "article_id INTEGER PRIMARY KEY REFERENCES article (id) ON DELETE CASCADE, "
        "doc TSVECTOR NOT NULL, names TSVECTOR NOT NULL)"
    )
    for column in ("doc", "names"):
        connection.exec_driver_sql(
            f"CREATE INDEX ix_{POSTGRES_TABLE}_{column} ON {POSTGRES_TABLE} USING GIN ({column})"
        )


def drop_index(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {SQLITE_TABLE}_article_deleted")
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {SQLITE_TABLE}")
    else:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {POSTGRES_TABLE}")


def index_articles(connection: Connection, articles: Sequence[tuple[int, str, str]]) -> None:
    """Index (id, title, text) articles not indexed yet (just inserted, or after the
    index was emptied), inside the caller's transaction: one executemany INSERT."""
    if not articles:
        return
    if connection.dialect.name == "sqlite":
        rows = [
            {"id": i, "doc": search_doc(title, text), "names": name_keys(title, text)}
            for i, title, text in articles
        ]
        statement = f"INSERT INTO {SQLITE_TABLE} (rowid, doc, names) VALUES (:id, :doc, :names)"
    else:
        rows = [
            {
                "id": i,
                "doc": _lexemes(search_doc(title, text)),
                "names": _lexemes(name_keys(title, text)),
            }
            for i, title, text in articles
        ]
        # The words are already the index's terms, so they are stored as they are
        # (CAST … AS tsvector), not parsed again by to_tsvector: a third of the
        # database's work per article, measured.
        statement = (
            f"INSERT INTO {POSTGRES_TABLE} (article_id, doc, names) VALUES "
            "(:id, CAST(:doc AS tsvector), CAST(:names AS tsvector))"
        )
    connection.execute(sa.text(statement), rows)


_LONGEST_LEXEME = 2047  # bytes: PostgreSQL refuses a longer word in a tsvector
_MAYBE_TOO_LONG = re.compile(rf"[^ ]{{{_LONGEST_LEXEME // 4},}}")


def _lexemes(doc: str) -> str:
    """`doc` (searchkeys' words or name keys, space-separated: letters and digits
    only, so nothing in it is tsvector syntax) without the words too long for a
    tsvector; to_tsvector skipped those too."""
    if not _MAYBE_TOO_LONG.search(doc):
        return doc
    return " ".join(w for w in doc.split(" ") if len(w.encode()) <= _LONGEST_LEXEME)


def rebuild_index(connection: Connection) -> int:
    """Index every stored article again (migration, or after the key rules change)."""
    if connection.dialect.name == "sqlite":
        connection.execute(sa.delete(_fts))
    else:
        connection.execute(sa.delete(_pg))
    done, last = 0, 0
    while True:
        batch = connection.execute(
            sa.select(Article.id, Article.title, Article.text)  # type: ignore[call-overload]
            .where(col(Article.id) > last)
            .order_by(col(Article.id))
            .limit(_BATCH)
        ).all()
        if not batch:
            return done
        index_articles(connection, [(i, t, x) for i, t, x in batch])
        done, last = done + len(batch), batch[-1][0]


def _newest() -> sa.ColumnElement[datetime]:
    return sa.func.coalesce(col(Article.published_at), col(Article.seen_at))


def filtered(query: AnySelect, where: ArticleFilter) -> AnySelect:
    """`query` (over Article) narrowed by the filter."""
    if where.since is not None:
        query = query.where(_newest() >= where.since)
    if where.outlet is not None:
        query = query.where(col(Article.outlet_id) == where.outlet)
    if where.lang is not None:
        query = query.where(col(Article.lang) == where.lang)
    if where.entry is not None:
        query = query.where(
            sa.exists().where(
                col(MatchRow.article_id) == col(Article.id), col(MatchRow.entry_id) == where.entry
            )
        )
    return query


def find_articles(
    connection: Connection,
    *,
    words: Sequence[str] = (),
    name_prefixes: Sequence[str] = (),
    where: ArticleFilter = EVERY_ARTICLE,
    limit: int = 50,
    offset: int = 0,
) -> list[int]:
    """Ids of articles holding every word of `words` as a word prefix, and a
    capitalised word whose skeleton starts with one of `name_prefixes`; newest first."""
    query: AnySelect = sa.select(col(Article.id))
    if connection.dialect.name == "sqlite":
        parts = []
        if words:
            parts.append("doc : (" + " AND ".join(_fts_word(w) for w in words) + ")")
        if name_prefixes:
            parts.append("names : (" + " OR ".join(_fts_word(p) for p in name_prefixes) + ")")
        if parts:
            query = query.join(_fts, _fts.c.rowid == col(Article.id)).where(
                sa.literal_column(SQLITE_TABLE).op("MATCH")(" AND ".join(parts))
            )
    elif words or name_prefixes:
        query = query.join(_pg, _pg.c.article_id == col(Article.id))
        # Terms as they are (CAST … AS tsquery), like the stored words: no parser
        # between them can split or change a word on one side only.
        if words:
            terms = " & ".join(_ts_prefix(w) for w in words)
            query = query.where(_pg.c.doc.op("@@")(sa.cast(terms, TSQUERY)))
        if name_prefixes:
            terms = " | ".join(_ts_prefix(p) for p in name_prefixes)
            query = query.where(_pg.c.names.op("@@")(sa.cast(terms, TSQUERY)))
    query = filtered(query, where).order_by(_newest().desc(), col(Article.id).desc())
    return list(connection.execute(query.limit(limit).offset(offset)).scalars())


def _ts_prefix(word: str) -> str:
    """One tsquery prefix term, quoted, so that no character of it is query syntax."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "':*"


def _fts_word(word: str) -> str:
    """One FTS5 prefix term. Words come from searchkeys (letters and digits only);
    quoting keeps FTS5 keywords such as AND, OR, NOT, NEAR plain words."""
    return '"' + word.replace('"', "") + '"*'


_COLUMNS = (
    col(Article.id),
    col(Article.outlet_id),
    col(Outlet.name),
    col(Article.url),
    col(Article.title),
    col(Article.text),
    col(Article.lang),
    col(Article.published_at),
    col(Article.seen_at),
)


def _articles() -> AnySelect:
    return sa.select(*_COLUMNS).join(Outlet, col(Outlet.id) == col(Article.outlet_id))


def _stored(row: sa.Row[*tuple[Any, ...]]) -> StoredArticle:
    i, outlet_id, outlet, url, title, text, lang, published, seen = row
    return StoredArticle(
        id=i,
        outlet_id=outlet_id,
        outlet=outlet,
        url=url,
        title=title,
        text=text,
        lang=lang,
        published=aware(published),
        seen=aware(seen) or datetime.now(UTC),
    )


def load_articles(connection: Connection, ids: Sequence[int]) -> list[StoredArticle]:
    """The articles with these ids, in the order of `ids`."""
    found: dict[int, StoredArticle] = {}
    for i in range(0, len(ids), _BATCH):
        query = _articles().where(col(Article.id).in_(ids[i : i + _BATCH]))
        for row in connection.execute(query):
            article = _stored(row)
            found[article.id] = article
    return [found[i] for i in ids if i in found]


def count_articles(connection: Connection, where: ArticleFilter) -> int:
    query = filtered(sa.select(sa.func.count()).select_from(Article), where)
    return int(connection.execute(query).scalar_one())


def iter_articles(
    connection: Connection, where: ArticleFilter, batch: int = _BATCH
) -> Iterator[StoredArticle]:
    """Every article the filter selects, by id, `batch` rows in memory at a time."""
    last = 0
    while True:
        query = filtered(_articles().where(col(Article.id) > last), where)
        rows = connection.execute(query.order_by(col(Article.id)).limit(batch)).all()
        if not rows:
            return
        for row in rows:
            yield _stored(row)
        last = rows[-1][0]


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
