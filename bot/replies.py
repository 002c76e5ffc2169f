"""Replies to the bot's commands, as Telegram HTML. Pure functions: they take records
and `now`, and every reply is within Telegram's limit (`render.BUDGET` visible characters).

Every stored or typed string is escaped here; links are http(s) only.
"""

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.render import BUDGET, _clip, _safe_url, visible_length
from bot.status import render_replicas
from core.records import ALERT_THRESHOLD, Match, OutletStatus
from core.research import PageChange
from matchers import Watchlist
from storage.lookup import ArticleDetail, ArticleLine
from storage.replicas import ReplicaStatus

NameOf = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    arguments: str
    description: str

    @property
    def usage(self) -> str:
        return f"/{self.name} {self.arguments}".rstrip()


COMMANDS = (
    Command("help", "", "what each command does"),
    Command("status", "", "outlets' health, the queue, the last poll cycle, the replicas"),
    Command("watchlist", "", "the watched people, cases and keywords"),
    Command("search", "<name or words>", "latest stored articles about a name or with words"),
    Command("case", "<entry-id> [page]", "an entry's timeline, newest first, with page edits"),
    Command("why", "<article link>", "why an article matched and where it went"),
    Command("test", "<text>", "what the watchlist finds in a text"),
    Command("digest", "", "send the pending digest now"),
)
USAGE = {c.name: f"Usage: {html.escape(c.usage)}: {c.description}" for c in COMMANDS}
REFUSAL = "This bot answers its administrators only."
NO_ARTICLE = "No stored article has that link."
UNKNOWN_COMMAND = "Unknown command; /help lists them."
FAILED = "Sorry, that failed; the log has the details."
ERROR_WIDTH = 120
TITLE_WIDTH = 200
CASE_PAGE = 10  # articles per /case page: 10 × (title ≤ 200 + outlet + date) stays < BUDGET


def unknown_entry(entry_id: str) -> str:
    return f"No entry “{html.escape(_clip(entry_id, 60))}”; /watchlist lists the ids."


def render_help() -> str:
    lines = ["<b>trialwatch commands</b>"]
    lines += [f"{html.escape(c.usage)} · {html.escape(c.description)}" for c in COMMANDS]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class StatusView:
    """What /status and `trialwatch status` report."""

    outlets: tuple[OutletStatus, ...]
    queued: dict[str, int]  # destination id → unsent outbox rows
    destinations: tuple[str, ...]  # configured destination ids, in order
    last_cycle: datetime | None
    replicas: tuple[ReplicaStatus, ...] = ()  # replica mode: those that beat recently
    lease: timedelta = timedelta(seconds=30)  # TRIALWATCH_REPLICA_LEASE: alive or silent
    replicas_since: timedelta = timedelta(hours=24)  # how far back `replicas` reaches


def render_status(view: StatusView, now: datetime, tz: ZoneInfo) -> list[str]:
    """Outlets (id, health, last success, last error cause), the queue per destination,
    the last cycle, and in replica mode the replicas (the table of `trialwatch status`:
    host, pid, state, started, last heartbeat, tasks done); split between outlets
    when long, the replicas last."""
    cycle = _ago(view.last_cycle, now, tz) if view.last_cycle else "none yet"
    head = f"<b>trialwatch status</b>\nLast poll cycle: {cycle}"
    queue = [f"{html.escape(d)}: {view.queued.get(d, 0)}" for d in view.destinations]
    queue += [
        f"{html.escape(d)}: {n} (not configured; they wait until it is)"
        for d, n in sorted(view.queued.items())
        if d not in view.destinations and n
    ]
    head += "\nQueued: " + (", ".join(queue) or "nothing")
    items = []
    for o in view.outlets:
        line = f"<b>{html.escape(o.id)}</b> {html.escape(o.state)} · last success "
        line += _ago(o.last_success_at, now, tz) if o.last_success_at else "never"
        if o.state != "ok" and o.last_error:
            line += f"\n  <i>{html.escape(_clip(o.last_error, ERROR_WIDTH))}</i>"
        items.append(line)
    items = items or ["no outlets configured"]
    if view.replicas:
        hours = int(view.replicas_since.total_seconds() // 3600)
        table = render_replicas(view.replicas, now, tz, view.lease)
        items.append(
            f"\n<b>Replicas</b> (heartbeat in the last {hours} h)\n<pre>{html.escape(table)}</pre>"
        )
    return pack(head + "\n", items)


def render_watchlist(watchlist: Watchlist) -> list[str]:
    """Every entry: id, name, kind."""
    items = [f"{html.escape(p.id)} · {html.escape(p.name)} · person" for p in watchlist.people]
    items += [f"{html.escape(c.id)} · {html.escape(c.name)} · case" for c in watchlist.cases]
    items += [
        f"{html.escape(k.id)} · {html.escape(', '.join(k.terms[:4]))} · keyword"
        + (" (urgent)" if k.urgent else "")
        for k in watchlist.keywords
    ]
    count = len(items)
    return pack(f"<b>Watchlist</b>: {count} entries\n", items or ["(empty)"])


def render_search(query: str, lines: Sequence[ArticleLine], tz: ZoneInfo) -> str:
    head = f"<b>Search</b> “{html.escape(_clip(query, 100))}”"
    if not lines:
        return head + ": nothing stored matches."
    return _fit(head + f": latest {len(lines)}\n", [_article(a, tz) for a in lines])


def render_case(
    name: str,
    entry_id: str,
    lines: Sequence[ArticleLine],
    page: int,
    pages: int,
    tz: ZoneInfo,
    changes: Mapping[int, Sequence[PageChange]] | None = None,
) -> str:
    """One page of an entry's timeline, newest first, with how to get the next page;
    under an article, what its page went through (`changes`: by article id)."""
    head = f"<b>{html.escape(name)}</b>: timeline"
    if not lines:
        return head + (": no article yet." if page == 1 else f": there is no page {page}.")
    head += f", page {page} of {pages}\n" if pages > 1 else "\n"
    foot = f"\nOlder: /case {html.escape(entry_id)} {page + 1}" if page < pages else ""
    items = [
        _article(a, tz) + "".join(_change(c, tz) for c in _latest((changes or {}).get(a.id, ())))
        for a in lines
    ]
    return _fit(head, items) + foot


CHANGES_SHOWN = 3  # per article in /case: the latest; the trail has them all


def _latest(changes: Sequence[PageChange]) -> list[PageChange]:
    return list(changes[-CHANGES_SHOWN:])


def _change(c: PageChange, tz: ZoneInfo) -> str:
    """`  ✎ edited 21 Nov 2026 10:40 · sha256 af30616f → 120624f8` (and taken down, moved)."""
    line = f"\n  ✎ {c.label} {_when(c.at, tz)}"
    before = f"sha256 {c.sha256_before[:8]}" if c.sha256_before else "no text kept"
    if c.status == "changed":
        return f"{line} · {before} → {(c.sha256_after or '?')[:8]}"
    if c.status == "gone":
        return f"{line} (HTTP {c.http_status}) · last {before}"
    return f"{line} → {html.escape(_clip(c.final_url or '', 80))} · last {before}"


def render_why(detail: ArticleDetail, name_of: NameOf, tz: ZoneInfo) -> str:
    """The entries found, the words, scores and reasons, and where the article went."""
    parts = [_article(detail.line, tz), f"Language: {html.escape(detail.lang)}"]
    if not detail.matches:
        parts.append("No watchlist entry was found in it.")
    for m in detail.matches:
        verdict = "delivered" if m.score >= ALERT_THRESHOLD else "below the threshold"
        parts.append(
            f"• <b>{html.escape(name_of(m.entry_id))}</b> ({html.escape(m.kind)}): "
            f"“{html.escape(_clip(m.form, 100))}” {m.score:.2f} {html.escape(m.reason)}, {verdict}"
        )
    for row in detail.outbox:
        state = f"sent {_when(row.sent_at, tz)}" if row.sent_at else "queued"
        if row.last_error and not row.sent_at:
            state += f" ({html.escape(_clip(row.last_error, ERROR_WIDTH))})"
        kind = "alert" if row.urgent else "digest"
        parts.append(f"→ {html.escape(row.destination)}: {kind}, {state}")
    if detail.matches and not detail.outbox:
        parts.append("→ no destination: nothing deliverable, or no filter let it through")
    return _fit("<b>Why</b>\n", parts)


def render_test(
    text: str, matches: Sequence[Match], urgent: bool, routed: Sequence[str], name_of: NameOf
) -> str:
    """What `trialwatch match --text` prints, as a reply."""
    head = f"<b>Test</b> “{html.escape(_clip(text, 80))}”\n"
    if not matches:
        return head + "No match."
    lines = [
        f"• <b>{html.escape(name_of(m.entry_id))}</b> ({m.kind}): "
        f"“{html.escape(_clip(m.form, 100))}” {m.score:.2f} {html.escape(m.reason)}"
        for m in matches
    ]
    lines.append("Urgent: " + ("yes, an alert" if urgent else "no, the digest"))
    lines.append("Would go to: " + (html.escape(", ".join(routed)) or "no destination"))
    return _fit(head, lines)


def render_digest_sent(sent: dict[str, int], errors: dict[str, str]) -> str:
    if not sent and not errors:
        return "The digest is empty: nothing is pending."
    lines = [f"{html.escape(d)}: {n} sent" for d, n in sent.items()]
    lines += [
        f"{html.escape(d)}: refused, kept queued ({html.escape(_clip(e, ERROR_WIDTH))})"
        for d, e in errors.items()
    ]
    return _fit("<b>Digest</b>\n", lines)


def pack(head: str, items: Sequence[str], budget: int = BUDGET) -> list[str]:
    """Messages of `head` + items, split between items, each within `budget`."""
    messages: list[str] = []
    current = head
    for item in items:
        if visible_length(current + "\n" + item) > budget and current != head:
            messages.append(current.rstrip())
            current = head
        current += "\n" + item
    messages.append(current.rstrip())
    return messages


def _fit(head: str, items: Sequence[str], budget: int = BUDGET) -> str:
    """`head` + as many items as fit, with a note of how many were left out."""
    text = head
    for index, item in enumerate(items):
        if visible_length(text + "\n" + item) > budget - 40:
            return text.rstrip() + f"\n… and {len(items) - index} more"
        text += ("\n" if index or not head.endswith("\n") else "") + item
    return text.rstrip()


def _article(a: ArticleLine, tz: ZoneInfo) -> str:
    title = html.escape(_clip(a.title or a.url, TITLE_WIDTH))
    link = _safe_url(a.url)
    linked = f'<a href="{html.escape(link, quote=True)}">{title}</a>' if link else title
    return f"{_when(a.when, tz)} · {html.escape(_clip(a.outlet, 60))}\n{linked}"


def _when(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%d %b %Y %H:%M")


def _ago(value: datetime, now: datetime, tz: ZoneInfo) -> str:
    minutes = max(0, int((now - value).total_seconds() // 60))
    ago = f"{minutes}m" if minutes < 120 else f"{minutes // 60}h"
    return f"{_when(value, tz)} ({ago} ago)"
