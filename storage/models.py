"""The tables. Every datetime is timezone-aware UTC."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def _when(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class Outlet(SQLModel, table=True):
    """An outlet feed from feeds.yaml and its fetch state."""

    id: str = Field(primary_key=True)
    name: str
    config_url: str = Field(sa_column=Column(Text, nullable=False))
    url: str = Field(sa_column=Column(Text, nullable=False))  # after permanent redirects
    lang: str
    every_seconds: int
    active: bool = True
    etag: str | None = Field(default=None, sa_column=Column(Text))
    last_modified: str | None = None
    failures: int = 0
    last_status: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    last_error_at: datetime | None = _when()
    last_polled_at: datetime | None = _when()
    last_success_at: datetime | None = _when()
    last_new_at: datetime | None = _when()
    next_poll_at: datetime | None = _when()
    error_kind: str | None = None  # blocked, broken or failing: see feeds.decide.outlet_state
    new_gap_seconds: int | None = None  # smoothed time between polls that found new items
    state: str = Field(default="ok", sa_column_kwargs={"server_default": "ok"})


class Article(SQLModel, table=True):
    """An article seen in a feed, stored once per key; `url_key` is its link identity
    (the rule: feeds.identity)."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    url_key: str | None = Field(default=None, sa_column=Column(Text, index=True))
    outlet_id: str = Field(foreign_key="outlet.id", index=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    guid: str | None = Field(default=None, sa_column=Column(Text))
    title: str = Field(sa_column=Column(Text, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    author: str | None = Field(default=None, sa_column=Column(Text))
    lang: str
    published_at: datetime | None = _when()
    seen_at: datetime | None = _when(nullable=False)


class MatchRow(SQLModel, table=True):
    """One watchlist entry found in one article."""

    __tablename__ = "match"

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True)
    entry_id: str = Field(index=True)
    kind: str
    form: str = Field(sa_column=Column(Text, nullable=False))
    start_offset: int
    end_offset: int
    score: float
    reason: str
    snippet: str = Field(sa_column=Column(Text, nullable=False))
    mark_start: int
    mark_end: int


class Delivery(SQLModel, table=True):
    """The outbox: one row per (article, destination) that must reach it exactly once."""

    __table_args__ = (
        UniqueConstraint("article_id", "destination", name="uq_delivery_article_destination"),
        Index("ix_delivery_destination", "destination", "sent_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id")
    destination: str = Field(default="default", sa_column_kwargs={"server_default": "default"})
    urgent: bool = Field(index=True)
    created_at: datetime | None = _when(nullable=False)
    sent_at: datetime | None = _when()
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    set_aside_at: datetime | None = _when()  # refused in every form: no longer pending
    # Where Telegram put the message holding it, once accepted: a change notice replies to it.
    chat: str | None = Field(default=None, sa_column=Column(Text))  # as configured: -100… or @name
    topic: int | None = Field(default=None, sa_column=Column(BigInteger))
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger))


class Heartbeat(SQLModel, table=True):
    """When the monitor started and last finished a poll cycle: `trialwatch health` reads it."""

    name: str = Field(primary_key=True)
    started_at: datetime | None = _when(nullable=False)
    cycle_at: datetime | None = _when()
    every_seconds: int


class Replica(SQLModel, table=True):
    """One `trialwatch run` in replica mode: who it is, when it last beat, what it did."""

    id: str = Field(primary_key=True)  # host:pid:start time
    host: str
    pid: int
    started_at: datetime | None = _when(nullable=False)
    heartbeat_at: datetime | None = _when(nullable=False)
    tasks_done: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    stopped_at: datetime | None = _when()


class DigestRun(SQLModel, table=True):
    """A digest sent to one destination for one scheduled time: replicas whose clocks
    fire the same digest find it here and send nothing."""

    __tablename__ = "digest_run"

    destination: str = Field(primary_key=True)
    slot: str = Field(primary_key=True)  # the local scheduled time, 2026-11-29T09:00:00
    done_at: datetime | None = _when()
    sent: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Snapshot(SQLModel, table=True):
    """What a matched article said at one moment: the evidence trail (bot.research.evidence).

    source feed: the item as first seen (stage 0); source page: the article page
    at first check (stage 0) and at the re-checks (stages 1, 2, 3 = 1 h, 1 d, 7 d).
    `text` is kept when it is new (first, changed); `diff` against the previous text.
    """

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True)
    taken_at: datetime | None = _when(nullable=False)
    source: str  # feed | page
    stage: int
    status: str  # first | same | changed | gone | moved | failed | disallowed
    http_status: int | None = None
    final_url: str | None = Field(default=None, sa_column=Column(Text))
    sha256: str | None = None
    text: str | None = Field(default=None, sa_column=Column(Text))
    diff: str | None = Field(default=None, sa_column=Column(Text))
    error: str | None = Field(default=None, sa_column=Column(Text))
    notable: bool = False  # edited, taken down, moved: the channel is told
    told_at: datetime | None = _when()  # when every destination's notice was accepted
    raw: str | None = Field(default=None, sa_column=Column(Text))  # feed: the item's XML as served
    raw_sha256: str | None = None  # of `raw`, UTF-8


class Notice(SQLModel, table=True):
    """The outbox of change notices: one row per (notable snapshot, destination the
    article was queued for), written with the snapshot, marked sent once Telegram
    accepted it. `how`: reply (to `reply_to`, the article's alert), or why it went on
    its own: digest, unsent, unknown (no message id kept), elsewhere (the destination
    changed chat), deleted (Telegram no longer had the alert)."""

    __table_args__ = (
        UniqueConstraint("snapshot_id", "destination", name="uq_notice_snapshot_destination"),
        Index("ix_notice_destination", "destination", "sent_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    snapshot_id: int = Field(foreign_key="snapshot.id")
    article_id: int = Field(foreign_key="article.id", index=True)
    destination: str
    created_at: datetime | None = _when(nullable=False)
    sent_at: datetime | None = _when()
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    set_aside_at: datetime | None = _when()
    chat: str | None = Field(default=None, sa_column=Column(Text))
    topic: int | None = Field(default=None, sa_column=Column(BigInteger))
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    reply_to: int | None = Field(default=None, sa_column=Column(BigInteger))
    how: str | None = None
