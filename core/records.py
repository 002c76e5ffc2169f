"""Records passed between packages, named after the stage they belong to.

Frozen dataclasses with no behaviour beyond a derived property: `matchers`
produces `Match`, `feeds` produces `ParsedArticle` and `OutletUpdate`, the cycle
builds `ArticleIntent`, `storage` writes those and hands back `OutletForPoll`,
`DeliveryItem`, `OutletStatus`, `StateChange` and `HeartbeatRecord`, which the
renderers in `bot` read. Pure: no I/O.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from core.errors import ErrorKind

MatchKind = Literal["person", "case", "keyword", "region"]  # region: a place (watchlist regions)
# An outlet's health (see `feeds.health.outlet_state` for the rules):
# ok; failing (errors in a row); blocked (refuses us: 401/403/451 or a challenge
# page); broken (answers, but not with a feed); silent (no new item for far
# longer than usual).
Health = Literal["ok", "failing", "blocked", "broken", "silent"]
HEALTH_STATES: tuple[Health, ...] = ("ok", "failing", "blocked", "broken", "silent")

ALERT_THRESHOLD = 0.6  # matches scoring this or more are delivered (matchers/match.py)
# The one chat of TRIALWATCH_TELEGRAM_CHAT, when config/destinations.yaml does not exist.
DEFAULT_DESTINATION = "default"


@dataclass(frozen=True, slots=True)
class Match:
    """One watchlist entry found in one article."""

    entry_id: str
    kind: MatchKind
    form: str  # the words as written in the article
    start: int  # offsets in matchers.match.article_text(title, text)
    end: int
    score: float  # 0..1; delivered when >= ALERT_THRESHOLD
    reason: str  # full name, initial + surname, surname, alias, pattern, keyword, ...
    snippet: str
    snippet_mark: tuple[int, int]  # where `form` sits inside `snippet`

    @property
    def deliverable(self) -> bool:
        return self.score >= ALERT_THRESHOLD


@dataclass(frozen=True, slots=True)
class OutletConfig:
    """One outlet feed as the user configured it in feeds.yaml."""

    id: str
    name: str
    url: str
    lang: str
    every: timedelta | None = None
    fulltext: bool = False  # fetch each new article's page for its full text


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
    last_new_at: datetime | None = None  # the last poll that found a new item
    new_gap: timedelta | None = None  # the usual time between such polls (feeds.health)
    last_success_at: datetime | None = None  # None: never polled; its first items are backlog


@dataclass(frozen=True, slots=True)
class OutletSync:
    """What feeds.yaml makes of one outlet row (feeds.outlets.plan_sync); rows of
    outlets no longer in the file are kept, inactive."""

    id: str
    name: str
    config_url: str
    lang: str
    every: timedelta
    # New, or its URL edited: poll it at this time from `config_url`, forgetting
    # permanent redirects and validators. None: keep them.
    reset_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    """One feed item as text. `key` and `url_key` are its two identities (see
    `feeds.identity`): guid within the outlet (else link and title, else title), and
    its link as every outlet shares it."""

    key: str
    url: str
    guid: str | None
    title: str
    text: str
    author: str | None
    published: datetime | None
    url_key: str | None = None


@dataclass(frozen=True, slots=True)
class KnownArticle:
    """A stored article as far as its identity goes (`feeds.identity`)."""

    key: str
    outlet_id: str
    guid: str | None
    title: str
    url_key: str | None


@dataclass(frozen=True, slots=True)
class ArticleIntent:
    """A new article to store, what the matcher found in it, and whether it is urgent.
    `send`: the relevance decision (bot.route) to queue it; None (tools that store
    without deciding) queues it when a match is deliverable. `destinations`: where it
    is queued, one outbox row each (bot.route, from the destinations' filters)."""

    article: ParsedArticle
    lang: str
    matches: tuple[Match, ...]
    urgent: bool
    send: bool | None = None
    destinations: tuple[str, ...] = (DEFAULT_DESTINATION,)
    raw: "RawItem | None" = None  # the item's XML as served, kept with the evidence

    @property
    def deliverable(self) -> bool:
        if self.send is not None:
            return self.send
        return any(m.deliverable and m.kind != "region" for m in self.matches)


@dataclass(frozen=True, slots=True)
class RawItem:
    """A feed item's markup as the outlet served it (`feeds.rawitem`): `xml` decoded in
    the feed's encoding, and the SHA-256 of its bytes as served."""

    xml: str
    sha256: str


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
    error_kind: ErrorKind | None = None
    failures: int = 0
    status: int | None = None
    found_new: bool = False  # new items: last_new_at becomes polled_at
    new_gap: timedelta | None = None  # the smoothed gap to store; None keeps the stored one


@dataclass(frozen=True, slots=True)
class DeliveryItem:
    """A pending delivery with what a message about it needs."""

    delivery_id: int
    urgent: bool
    outlet: str
    title: str
    url: str
    published: datetime | None
    seen: datetime
    matches: tuple[Match, ...]
    author: str | None = None
    lang: str = ""  # the outlet's language code


@dataclass(frozen=True, slots=True)
class HeartbeatRecord:
    """When `trialwatch run` started and last finished a cycle, and its poll interval."""

    started_at: datetime
    cycle_at: datetime | None
    every: timedelta


@dataclass(frozen=True, slots=True)
class OutletStatus:
    """One active outlet's health and what it is judged on (`trialwatch status`, feeds.health)."""

    id: str
    name: str
    url: str
    state: Health
    failures: int
    last_error: str | None
    last_success_at: datetime | None
    last_new_at: datetime | None
    error_kind: ErrorKind | None = None
    new_gap: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Counts:
    """Row counts for `trialwatch check`, `status` and tests."""

    articles: int
    matches: int
    deliveries: int
    sent: int
    set_aside: int = 0  # refused by Telegram in every form: see bot.deliver

    @property
    def queued(self) -> int:
        """Deliveries still to send: not accepted by Telegram, not set aside."""
        return self.deliveries - self.sent - self.set_aside


@dataclass(frozen=True, slots=True)
class StateChange:
    """An outlet whose health changed, for the admin chat."""

    outlet_id: str
    name: str
    old: Health
    new: Health
    error: str | None
