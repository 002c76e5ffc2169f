"""Evidence re-checks of matched articles: when to look again, and what changed.

Pure functions: no network, no database, no clock (`now` is an argument).

    stage 0  first page check, as soon as the article is matched
    stage 1  after 1 hour;  stage 2  after 1 day;  stage 3  after 7 days

A check that comes late (the monitor was down) does the latest stage due and
skips the earlier ones. Verdicts: first (the baseline page text), same,
changed (with a line diff), gone (404/410), moved (redirected to another
page, often the home page after a takedown), failed (no answer or no text),
disallowed (robots.txt). Changed, gone and moved are notable: the channel is
told, once per new state.
"""

import difflib
import hashlib
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from core.research import PageBefore, Verdict
from feeds.canonical import canonical_url
from feeds.records import PageResult

STAGES = (timedelta(0), timedelta(hours=1), timedelta(days=1), timedelta(days=7))
WINDOW = STAGES[-1] + timedelta(days=1)  # articles first seen longer ago are left alone
DIFF_LINES = 40  # lines of diff kept per change


def due_stage(seen: datetime, done: Collection[int], now: datetime) -> int | None:
    """The stage to check now: the latest one due after the last one done, if any."""
    last_done = max(done, default=-1)
    due = [s for s, after in enumerate(STAGES) if s > last_done and seen + after <= now]
    return due[-1] if due else None


def judge(before: PageBefore | None, page: PageResult, text: str | None) -> Verdict:
    """What this check found, given the trail so far and the page's extracted text."""
    status, final = page.status, page.final_url
    if page.disallowed:
        return Verdict("disallowed", error=page.error)
    if status in (404, 410):
        return _once(before, Verdict("gone", status, final, error=page.error))
    # The first check resolves the feed's link (redirectors, tracking): where it
    # lands is the page's address; later checks compare with that.
    home = before.final_url if before is not None else None
    if final and home and moved(home, final):
        return _once(before, Verdict("moved", status, final))
    if not page.ok or text is None:
        return Verdict("failed", status, final, error=page.error or "no article text on the page")
    digest = text_sha256(text)
    if before is None or before.sha256 is None:
        return Verdict("first", status, final, digest, text)
    if digest == before.sha256:
        return Verdict("same", status, final, digest)
    diff = text_diff(before.text or "", text)
    return Verdict("changed", status, final, digest, text, diff, notable=True)


def _once(before: PageBefore | None, verdict: Verdict) -> Verdict:
    """Gone and moved are told once: not again while the page stays that way."""
    if before is not None and before.status == verdict.status:
        return verdict
    return replace(verdict, notable=True)


def moved(asked: str, final: str) -> bool:
    """Redirected to another page: not just http→https, www. or a trailing slash."""
    return _place(asked) != _place(final)


def _place(url: str) -> str:
    canonical = canonical_url(url)
    parts = urlsplit(canonical)
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}{parts.path}?{parts.query}"


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def text_diff(old: str, new: str) -> str:
    """A unified line diff, at most DIFF_LINES lines (then "…")."""
    lines = list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), "before", "after", lineterm="", n=1
        )
    )
    if len(lines) > DIFF_LINES:
        lines = [*lines[:DIFF_LINES], "…"]
    return "\n".join(lines)
