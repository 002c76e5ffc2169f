"""Records of the research tools (search, export, backtest, evidence). Pure: no I/O."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """Which stored articles a search, export or backtest looks at; None = any."""

    since: datetime | None = None  # published (else first seen) at or after
    outlet: str | None = None  # outlet id
    lang: str | None = None
    entry: str | None = None  # only articles with a stored match of this entry


EVERY_ARTICLE = ArticleFilter()


@dataclass(frozen=True, slots=True)
class StoredArticle:
    id: int
    outlet_id: str
    outlet: str  # display name
    url: str
    title: str
    text: str
    lang: str
    published: datetime | None
    seen: datetime
