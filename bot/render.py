"""Telegram HTML messages: urgent alerts and the digest. Pure functions.

Every feed-derived string is escaped here and nowhere else; links must be
http(s). Lengths are counted as Telegram does: visible text (tags removed,
entities decoded) in UTF-16 code units.
"""

import html
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.bounds import clip, first_of, local_time
from core.records import DeliveryItem, Match, StateChange

MESSAGE_LIMIT = 4096
BUDGET = 4000  # leave a margin under Telegram's limit
TITLE_MAX = 300
SNIPPET_MAX = 400
# Bounds on the parts a watchlist or a feed can make long (see bot.bounds).
NAME_MAX = 80  # one watchlist entry's name
REASON_MAX = 60
MATCHED_MOST = 10  # entries named on a "Matched:" line, then "+ N more"
MATCHED_MAX = 800  # characters of that line, tags included
URL_MAX = 2048  # longer links are not links: no outlet needs them, Telegram may refuse them
STATE_LINES_MOST = 30  # outlets listed in one health-change message
_TAG = re.compile(r"<[^>]*>")
_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.S)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # cannot be encoded to send
_KIND_ORDER = {"person": 0, "case": 1, "keyword": 2, "region": 3}

NameOf = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Message:
    """One message to send and the deliveries it completes."""

    html: str
    delivery_ids: tuple[int, ...]


def visible_length(text_html: str) -> int:
    """Length as Telegram counts it: UTF-16 units of the text without tags."""
    visible = html.unescape(_TAG.sub("", text_html))
    return len(visible.encode("utf-16-le", "surrogatepass")) // 2


def to_plain(text_html: str) -> str:
    """Readable plain text of one of our messages (console mode, fallback sends)."""
    with_urls = _LINK.sub(lambda m: f"{m.group(2)}\n{html.unescape(m.group(1))}", text_html)
    return html.unescape(_TAG.sub("", with_urls))


def render_alert(item: DeliveryItem, tz: ZoneInfo, name_of: NameOf) -> Message:
    """An urgent alert: one article, sent right after the poll that found it."""
    body = "🔴 <b>trialwatch alert</b>\n\n" + _entry(item, tz, name_of)
    return Message(body, (item.delivery_id,))


def render_digest(
    items: Sequence[DeliveryItem], tz: ZoneInfo, name_of: NameOf, now: datetime
) -> list[Message]:
    """The digest, grouped by the case or person each article is mainly about, split
    between entries so that no message is over the limit."""
    if not items:
        return []
    groups: dict[str, list[DeliveryItem]] = defaultdict(list)
    for item in items:
        groups[_group_label(item, name_of)].append(item)
    day = now.astimezone(tz).strftime("%d %b %Y")
    header = f"📰 <b>trialwatch digest</b>, {day}: {len(items)} articles\n"
    messages: list[Message] = []
    parts: list[str] = [header]
    ids: list[int] = []
    for label in sorted(groups, key=lambda g: (g.startswith("Keyword"), g.casefold())):
        heading = f"\n<b>{html.escape(label)}</b>\n"
        parts.append(heading)
        for item in groups[label]:
            entry = "\n" + _entry(item, tz, name_of) + "\n"
            if visible_length("".join(parts) + entry) > BUDGET and ids:
                messages.append(Message("".join(parts).rstrip(), tuple(ids)))
                parts, ids = [header, heading.rstrip("\n") + " (continued)\n"], []
            parts.append(entry)
            ids.append(item.delivery_id)
    messages.append(Message("".join(parts).rstrip(), tuple(ids)))
    return messages


def _group_label(item: DeliveryItem, name_of: NameOf) -> str:
    ordered = _ordered(item.matches)
    if not ordered:
        return "Other"
    name = _clip(name_of(ordered[0].entry_id), NAME_MAX)
    return f"Keyword: {name}" if ordered[0].kind == "keyword" else name


def _ordered(matches: Sequence[Match]) -> list[Match]:
    delivered = [m for m in matches if m.deliverable] or list(matches)
    return sorted(delivered, key=lambda m: (_KIND_ORDER[m.kind], -m.score, m.start))


def _entry(item: DeliveryItem, tz: ZoneInfo, name_of: NameOf) -> str:
    title = html.escape(_clip(item.title or item.url or "(untitled)", TITLE_MAX))
    link = _safe_url(item.url)
    headline = f'<a href="{html.escape(link, quote=True)}">{title}</a>' if link else title
    when = local_time(item.published, item.seen, tz)
    ordered = _ordered(item.matches)
    seen_entries: dict[str, Match] = {}
    for m in ordered:
        seen_entries.setdefault(m.entry_id, m)
    matched = first_of(
        [
            f"<b>{html.escape(_clip(name_of(m.entry_id), NAME_MAX))}</b> "
            f"({html.escape(_clip(m.reason, REASON_MAX))})"
            for m in seen_entries.values()
        ],
        most=MATCHED_MOST,
        limit=MATCHED_MAX,
    )
    lines = [headline, f"{html.escape(_clip(item.outlet, 100))} · {when}", f"Matched: {matched}"]
    if ordered:
        lines.append(_snippet(ordered[0]))
    return "\n".join(lines)


def _snippet(match: Match) -> str:
    start, end = match.snippet_mark
    text = _LONE_SURROGATE.sub("\ufffd", match.snippet)
    if not (0 <= start < end <= len(text)):
        return f"<i>{html.escape(_clip(text, SNIPPET_MAX))}</i>"
    before = text[:start][-SNIPPET_MAX // 2 :]
    after = text[end:][: SNIPPET_MAX // 2]
    form = _clip(text[start:end], 100)
    return f"<i>{html.escape(before)}<b>{html.escape(form)}</b>{html.escape(after)}</i>"


def _clip(text: str, limit: int) -> str:
    return clip(_LONE_SURROGATE.sub("\ufffd", text), limit)


def _safe_url(url: str) -> str | None:
    url = url.strip()
    if len(url) > URL_MAX:
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


_STATE_ICON = {"ok": "✅", "failing": "⚠️", "blocked": "⛔", "broken": "🧩", "silent": "💤"}


def render_state_changes(changes: Sequence[StateChange]) -> str:
    """One admin message listing outlets whose health changed."""
    lines = ["🛠 <b>trialwatch: outlet health changed</b>"]
    for c in changes:
        icon = _STATE_ICON.get(c.new, "•")
        line = (
            f"{icon} <b>{html.escape(c.name)}</b> ({html.escape(c.outlet_id)}): {c.old} → {c.new}"
        )
        if c.new != "ok" and c.error:
            line += f"\n<i>{html.escape(_clip(c.error, 300))}</i>"
        lines.append(line)
    return lines[0] + "\n" + first_of(lines[1:], most=STATE_LINES_MOST, limit=BUDGET // 2, sep="\n")


def render_admin_error(title: str, detail: str) -> str:
    return f"🛠 <b>trialwatch: {html.escape(title)}</b>\n{html.escape(_clip(detail, 1500))}"
