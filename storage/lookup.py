"""Read-only queries behind the bot's commands: search, a case's timeline, why an
article matched, the queue per destination. They return frozen records."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Engine, func, or_
from sqlmodel import Session, col, select

from core.records import ALERT_THRESHOLD
from storage.convert import aware
from storage.errors import wrap_errors
from storage.models import Article, Delivery, MatchRow, Outlet


@dataclass(frozen=True, slots=True)
class ArticleLine:
    """One stored article as a list shows it."""

    id: int
    outlet: str
    title: str
    url: str
    when: datetime  # published, else first seen; UTC


@dataclass(frozen=True, slots=True)
class FoundMatch:
    """A match as stored: what `/why` explains."""

    entry_id: str
    kind: str
    form: str
    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class OutboxRow:
    destination: str
    urgent: bool
    sent_at: datetime | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class ArticleDetail:
    line: ArticleLine
    lang: str
    matches: tuple[FoundMatch, ...]
    outbox: tuple[OutboxRow, ...]


@wrap_errors
def entry_timeline(
    engine: Engine, entry_id: str, *, limit: int, offset: int = 0
) -> list[ArticleLine]:
    """Articles where `entry_id` was found (deliverable matches only), newest first."""
    matched = select(MatchRow.article_id).where(
        col(MatchRow.entry_id) == entry_id, col(MatchRow.score) >= ALERT_THRESHOLD
    )
    return _lines(engine, col(Article.id).in_(matched), limit=limit, offset=offset)


@wrap_errors
def count_timeline(engine: Engine, entry_id: str) -> int:
    query = select(func.count(func.distinct(MatchRow.article_id))).where(
        col(MatchRow.entry_id) == entry_id, col(MatchRow.score) >= ALERT_THRESHOLD
    )
    with Session(engine) as session:
        return int(session.exec(query).one())


@wrap_errors
def article_detail(
    engine: Engine, keys: Sequence[str], url_keys: Sequence[str] = ()
) -> ArticleDetail | None:
    """The article stored under one of `keys` (its key or URL as given) or whose link
    identity is one of `url_keys`, with its matches and outbox rows."""
    with Session(engine) as session:
        row = session.exec(
            select(Article, Outlet)
            .join(Outlet, col(Outlet.id) == Article.outlet_id)
            .where(
                or_(
                    col(Article.key).in_(keys),
                    col(Article.url).in_(keys),
                    col(Article.url_key).in_(url_keys),
                )
            )
        ).first()
        if row is None:
            return None
        article, outlet = row
        matches = session.exec(
            select(MatchRow)
            .where(MatchRow.article_id == article.id)
            .order_by(col(MatchRow.score).desc(), col(MatchRow.id))
        )
        outbox = session.exec(
            select(Delivery).where(Delivery.article_id == article.id).order_by(col(Delivery.id))
        )
        return ArticleDetail(
            _line(article, outlet),
            article.lang,
            tuple(FoundMatch(m.entry_id, m.kind, m.form, m.score, m.reason) for m in matches),
            tuple(
                OutboxRow(d.destination, d.urgent, aware(d.sent_at), d.last_error) for d in outbox
            ),
        )


def _lines(
    engine: Engine, condition: ColumnElement[bool], *, limit: int, offset: int = 0
) -> list[ArticleLine]:
    when = func.coalesce(Article.published_at, Article.seen_at)
    query = (
        select(Article, Outlet)
        .join(Outlet, col(Outlet.id) == Article.outlet_id)
        .where(condition)
        .order_by(when.desc(), col(Article.id).desc())
        .limit(limit)
        .offset(offset)
    )
    with Session(engine) as session:
        return [_line(a, o) for a, o in session.exec(query)]


def _line(article: Article, outlet: Outlet) -> ArticleLine:
    when = aware(article.published_at) or aware(article.seen_at) or datetime.now(UTC)
    return ArticleLine(article.id or 0, outlet.name, article.title, article.url, when)
