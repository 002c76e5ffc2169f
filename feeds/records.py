"""Records passed between the stages of a poll cycle, named after their stage."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from feeds.errors import FeedError
from matchers import Match


@dataclass(frozen=True, slots=True)
class OutletForPoll:
    """An outlet as storage hands it to the poll: where to fetch and what we sent last."""

    id: str
    name: str
    url: str
    lang: str
    every: timedelta
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0


@dataclass(frozen=True, slots=True)
class FetchedFeed:
    """A 200 response body as sent (content coding not undone: `feeds.decode` does it,
    trusting the bytes over the label), or a 304 with no body, and the validators."""

    outlet: OutletForPoll
    status: int
    body: bytes
    headers: dict[str, str]
    etag: str | None
    last_modified: str | None
    moved_to: str | None = None  # the new URL after a permanent redirect
    final_url: str | None = None  # where the body came from, after any redirect

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class FetchResult:
    """Either a fetched feed or the error that stopped it; never raises."""

    outlet: OutletForPoll
    feed: FetchedFeed | None = None
    error: FeedError | None = None
    retry_after: timedelta | None = None


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    """One feed item as text, identified by `key` (canonical URL, else guid)."""

    key: str
    url: str
    guid: str | None
    title: str
    text: str
    author: str | None
    published: datetime | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    outlet: OutletForPoll
    articles: list[ParsedArticle] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one outlet's poll did, for logs and for the CLI summary."""

    outlet_id: str
    url: str
    new: int = 0
    matched: int = 0
    not_modified: bool = False
    error: FeedError | None = None


@dataclass(frozen=True, slots=True)
class ArticleIntent:
    """A new article and what the matcher found in it."""

    article: ParsedArticle
    lang: str
    matches: tuple[Match, ...]
    urgent: bool

    @property
    def deliverable(self) -> bool:
        return any(m.deliverable for m in self.matches)


@dataclass(frozen=True, slots=True)
class OutletUpdate:
    """What a poll learned about an outlet: fetch state and the next poll time."""

    outlet_id: str
    polled_at: datetime
    next_poll_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None
    error: str | None = None
    error_kind: str | None = None
    failures: int = 0
    status: int | None = None
