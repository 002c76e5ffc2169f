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


@dataclass(frozen=True, slots=True)
class ProvenanceRow:
    """One (article, entry) match with where it came from and where it went: an export row."""

    match_id: int
    outlet_id: str
    outlet: str
    canonical_url: str  # the article's canonical URL (else its identity key, when it has no link)
    url: str
    title: str
    published: datetime | None
    first_seen: datetime
    lang: str
    entry_id: str
    kind: str
    form: str
    score: float
    reason: str
    snippet: str
    delivered_at: datetime | None
    evidence_sha256: str  # of the text first seen (core.research.snapshot_text)


def snapshot_text(title: str, text: str) -> str:
    """The text an evidence hash covers: title, blank line, body (as matched)."""
    return f"{title}\n\n{text}"
