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
    page_status: str | None = None  # the latest evidence check: same, changed, gone, moved …
    delivered_to: tuple["Sent", ...] = ()  # every destination that received it, first first
    page_changes: tuple["PageChange", ...] = ()  # edited, taken down, moved; oldest first


@dataclass(frozen=True, slots=True)
class Sent:
    """An article's delivery to one destination: when, and where Telegram put it (chat
    and topic as configured; None when sent before they were kept, or to the console)."""

    at: datetime
    destination: str
    chat: str | None = None
    topic: int | None = None


def snapshot_text(title: str, text: str) -> str:
    """The text an evidence hash covers: title, blank line, body (as matched)."""
    return f"{title}\n\n{text}"


@dataclass(frozen=True, slots=True)
class PageBefore:
    """What the evidence trail knew of an article's page before this check."""

    status: str  # the last page snapshot's status
    sha256: str | None  # of the latest page text stored
    text: str | None  # the latest page text stored
    final_url: str | None  # where the first good check landed: the page's real address


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one page check, as it is stored (feeds.evidence.judge)."""

    status: str  # first | same | changed | gone | moved | failed | disallowed
    http_status: int | None = None
    final_url: str | None = None
    sha256: str | None = None
    text: str | None = None  # kept only when new: first, changed
    diff: str | None = None
    error: str | None = None
    notable: bool = False  # worth telling the channel: edited, taken down, moved


@dataclass(frozen=True, slots=True)
class DueCheck:
    """A matched article whose page is due for a check at `stage`."""

    article_id: int
    url: str
    title: str
    stage: int
    before: PageBefore | None


@dataclass(frozen=True, slots=True)
class SnapshotRecord:
    """One entry of an article's evidence trail."""

    taken_at: datetime
    source: str
    stage: int
    status: str
    http_status: int | None
    final_url: str | None
    sha256: str | None
    diff: str | None
    error: str | None
    raw_sha256: str | None = None  # feed: of the item's XML as the feed served it
    notices: tuple["NoticeRecord", ...] = ()  # a notable check: told to whom, how


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    """A change notice to one destination: sent when, and as a reply to which message
    or on its own (`how`, bot.research.notices); or still queued, or set aside."""

    destination: str
    sent_at: datetime | None
    how: str | None
    reply_to: int | None
    message_id: int | None
    set_aside: bool = False


@dataclass(frozen=True, slots=True)
class Original:
    """The article's outbox row in one destination: whether and where it was sent."""

    urgent: bool  # an alert of its own; else it went (or goes) in a digest
    sent_at: datetime | None
    set_aside: bool  # refused by Telegram in every form: never sent
    chat: str | None
    topic: int | None
    message_id: int | None


@dataclass(frozen=True, slots=True)
class PageChange:
    """A notable evidence check of an article's page: edited (changed), taken down
    (gone) or moved; the SHA-256 of the page text before it and, when edited, after."""

    status: str  # changed | gone | moved
    at: datetime
    sha256_before: str | None
    sha256_after: str | None = None
    http_status: int | None = None
    final_url: str | None = None

    @property
    def label(self) -> str:
        """How people say it: edited, taken down, moved."""
        return {"changed": "edited", "gone": "taken down"}.get(self.status, self.status)
