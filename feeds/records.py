"""Records of the fetch and parse stages, named after their stage. The records other
packages share (`OutletForPoll`, `ParsedArticle`, `ArticleIntent`, `OutletUpdate`)
live in `core.records`."""

from dataclasses import dataclass, field
from datetime import timedelta

from core.errors import FeedError
from core.records import OutletForPoll, ParsedArticle


@dataclass(frozen=True, slots=True)
class FetchedFeed:
    """A 200 response body as sent (content coding not undone: `feeds.decode` does it,
    trusting the bytes over the label), or a 304 with no body, and the validators.
    `headers` are the 200's (what parsing and decoding read); a 304 keeps none."""

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


DISALLOWED = "disallowed by robots.txt"


@dataclass(frozen=True, slots=True)
class PageResult:
    """An article page, or why there is none. `status` None: no HTTP answer."""

    url: str
    status: int | None = None
    final_url: str | None = None  # after redirects
    html: str | None = None  # the body, when status is 200
    error: str | None = None  # "disallowed by robots.txt", "timed out", "HTTP 404" …

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.html is not None

    @property
    def disallowed(self) -> bool:
        return self.error == DISALLOWED
