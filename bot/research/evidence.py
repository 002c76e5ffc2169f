"""Evidence: re-check matched articles' pages and keep what the outlet published.

    trails  = storage.page_trails(seen since now - WINDOW)   # matched articles
    due     = due_stage(seen, stages done, now)               # feeds.evidence (pure)
    pages   = fetcher.fetch_all(links)                        # polite; never cached
    text    = extract_text(page)                              # trafilatura, in a thread
    verdict = judge(before, page, text)                       # feeds.evidence (pure)
    storage.add_page_snapshot(...)                            # one transaction per page
    → a notable verdict (edited, taken down, moved) queues a notice for every
      destination the article was queued for, in the snapshot's transaction;
      tell_changes sends them, each as a reply to the article's alert there
      (bot.research.notices), and marks them sent once Telegram accepted them,
      so an outage delays a notice and never loses it

The feed text of every matched article is stored and hashed when it is first
seen, in the transaction that stores the article (storage.evidence).
"""

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from bot.notifier import Notifier, Posted
from bot.research import notices
from bot.research.notices import NoticeFacts, how_to_tell
from core.errors import DeliveryError, MessageRefused
from core.records import DEFAULT_DESTINATION
from core.research import (
    NoticeRecord,
    PageBefore,
    PageChange,
    SnapshotRecord,
    StoredArticle,
    Verdict,
)
from feeds.canonical import canonical_url
from feeds.evidence import STAGES, WINDOW, due_stage, judge
from feeds.extract import extract_text
from feeds.pages import PageFetcher
from feeds.records import PageResult
from storage.errors import wrap_errors
from storage.evidence import (
    PageTrail,
    PendingNotice,
    add_page_snapshot,
    find_article,
    mark_notice_failed,
    mark_notice_sent,
    page_changes,
    page_trails,
    pending_notices,
    set_notice_aside,
    trail,
)
from storage.models import Snapshot

log = logging.getLogger(__name__)
MAX_CHECKS = 50  # pages checked per run at most; the rest wait for the next run


@dataclass(frozen=True, slots=True)
class EvidenceNotice:
    """A matched article whose page was edited, taken down or moved."""

    article_id: int
    title: str
    url: str
    verdict: Verdict
    snapshot_id: int | None = None


async def recheck(
    engine: Engine, fetcher: PageFetcher, now: datetime, *, limit: int = MAX_CHECKS
) -> list[EvidenceNotice]:
    """Check the pages that are due; store a snapshot for each; return what to tell."""
    due = _due(engine, now)[:limit]
    pages = await fetcher.fetch_all([t.url for t, _ in due])
    notices = []
    for (page_trail, stage), page in zip(due, pages, strict=True):
        text = await asyncio.to_thread(_text, page)
        verdict = judge(before_of(page_trail.snapshots), page, text)
        _store(engine, page_trail.article_id, stage, verdict, now)
        if verdict.notable:
            notices.append(
                EvidenceNotice(page_trail.article_id, page_trail.title, page_trail.url, verdict)
            )
    return notices


async def tell_changes(
    engine: Engine,
    notifier: Notifier,
    now: datetime,
    *,
    destination: str = DEFAULT_DESTINATION,
    chat: str | None = None,
    topic: int | None = None,
) -> int:
    """Send one destination's queued notices, oldest first, each as a reply to the
    article's alert where there is one (`notices.how_to_tell`; `chat`, `topic`: where the
    destination posts now). A notice is marked sent only once Telegram accepted it; the
    first delivery error stops the run (the rest stay queued); a notice refused in every
    form is set aside. A notice whose article is still queued waits. Returns how many
    were sent."""
    told = 0
    for notice in _pending(engine, destination):
        telling = how_to_tell(notice.original, chat, topic)
        if telling is None:
            continue
        facts = NoticeFacts(notice.title, notice.url, _verdict(notice))
        try:
            posted = await notifier.send(
                notices.render_notice(facts, telling.how), reply_to=telling.reply_to
            )
        except MessageRefused as e:
            log.error("%s (notice %d)", e, notice.notice_id)
            _record(engine, set_notice_aside, notice.notice_id, str(e), now)
            continue
        except DeliveryError as e:
            log.warning("evidence notices for %s wait: %s", destination, e)
            _record(engine, mark_notice_failed, notice.notice_id, str(e))
            break
        how = telling.how
        if posted is not None and telling.reply_to is not None and posted.reply_to is None:
            how = "deleted"  # Telegram sent it without the reply: the alert is gone
        _sent(engine, notice.notice_id, now, how, posted)
        told += 1
    return told


def _verdict(notice: PendingNotice) -> Verdict:
    return Verdict(
        notice.status, notice.http_status, notice.final_url, diff=notice.diff, notable=True
    )


@wrap_errors
def _pending(engine: Engine, destination: str) -> list[PendingNotice]:
    with engine.connect() as connection:
        return pending_notices(connection, destination)


@wrap_errors
def _sent(engine: Engine, notice_id: int, now: datetime, how: str, posted: Posted | None) -> None:
    with engine.begin() as connection:
        if posted is None:
            mark_notice_sent(connection, notice_id, now, how=how)
        else:
            mark_notice_sent(
                connection,
                notice_id,
                now,
                how=how,
                chat=posted.chat,
                topic=posted.topic,
                message_id=posted.message_id,
                reply_to=posted.reply_to,
            )


@wrap_errors
def _record(engine: Engine, write: Callable[..., None], *args: Any) -> None:
    with engine.begin() as connection:
        write(connection, *args)


@wrap_errors
def _due(engine: Engine, now: datetime) -> list[tuple[PageTrail, int]]:
    with engine.connect() as connection:
        trails = page_trails(connection, now - WINDOW)
    due = []
    for t in trails:
        stage = due_stage(t.seen, {s.stage for s in t.snapshots}, now)
        if stage is not None:
            due.append((t, stage))
    return sorted(due, key=lambda d: d[0].seen + STAGES[d[1]])


@wrap_errors
def _store(engine: Engine, article_id: int, stage: int, verdict: Verdict, now: datetime) -> None:
    with engine.begin() as connection:
        add_page_snapshot(connection, article_id, stage, verdict, now)


def _text(page: PageResult) -> str | None:
    return extract_text(page.html, page.final_url or page.url) if page.ok and page.html else None


def before_of(snapshots: Sequence[Snapshot]) -> PageBefore | None:
    """The trail so far as `judge` needs it: last status, latest text, the page's address."""
    if not snapshots:
        return None
    with_text = [s for s in snapshots if s.text is not None]
    home = next((s.final_url for s in snapshots if s.status == "first"), None)
    latest = with_text[-1] if with_text else None
    return PageBefore(
        status=snapshots[-1].status,
        sha256=latest.sha256 if latest else None,
        text=latest.text if latest else None,
        final_url=home,
    )


def render_notice(notice: EvidenceNotice, how: str = "reply") -> str:
    """The channel message (HTML) about a change to a matched article (`notices`)."""
    return notices.render_notice(NoticeFacts(notice.title, notice.url, notice.verdict), how)


def render_notice_text(notice: EvidenceNotice) -> str:
    """The notice as plain text, for the console."""
    v = notice.verdict
    if v.status == "gone":
        return f"taken down ({v.http_status}): {notice.title} {notice.url}"
    if v.status == "moved":
        return f"now redirects elsewhere: {notice.title} {notice.url} -> {v.final_url}"
    return f"edited: {notice.title} {notice.url}\n{v.diff}"


@wrap_errors
def page_changes_of(engine: Engine, article_ids: Sequence[int]) -> dict[int, list[PageChange]]:
    """What these articles' pages went through: edited, taken down, moved (by article id)."""
    with engine.connect() as connection:
        return page_changes(connection, article_ids)


@wrap_errors
def evidence_history(engine: Engine, url: str) -> tuple[StoredArticle, list[SnapshotRecord]] | None:
    """The stored article with this link (or canonical key) and its evidence trail."""
    with engine.connect() as connection:
        article = find_article(connection, (url, canonical_url(url)))
        if article is None:
            return None
        return article, trail(connection, article.id)


def render_history(article: StoredArticle, records: Sequence[SnapshotRecord]) -> str:
    """`trialwatch evidence URL`: one line per snapshot with its hash; diffs indented."""
    seen = _utc(article.seen)
    lines = [f"{article.url}", f"  {article.outlet}, first seen {seen}: {article.title}"]
    if not records:
        lines.append("  no evidence stored (the article matched nothing deliverable)")
    for r in records:
        what = f"stage {r.stage}" if r.source == "page" else "as first seen"
        detail = r.sha256 or r.error or ""
        if r.status == "moved":
            detail = f"→ {r.final_url}"
        elif r.status == "gone":
            detail = f"HTTP {r.http_status}"
        lines.append(f"{_utc(r.taken_at)}  {r.source:<4}  {what:<13}  {r.status:<10}  {detail}")
        if r.raw_sha256:
            lines.append(f"{'':17}  feed  item XML       {'as served':<10}  {r.raw_sha256}")
        lines += [f"    {line}" for line in (r.diff or "").splitlines()]
        lines += [f"    {_told(n)}" for n in r.notices]
    return "\n".join(lines)


def _told(n: NoticeRecord) -> str:
    """`told main 2026-11-21 10:41Z: reply to message 17` (or on its own, and why)."""
    if n.set_aside:
        return f"not told {n.destination}: Telegram refused the notice"
    if n.sent_at is None:
        return f"to tell {n.destination}: queued"
    if n.how == "reply":
        how = f"reply to message {n.reply_to}"
    else:
        how = f"on its own ({notices.WHY_ALONE.get(n.how or '', n.how or 'unknown')})"
    return f"told {n.destination} {_utc(n.sent_at)}: {how}"


def _utc(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")
