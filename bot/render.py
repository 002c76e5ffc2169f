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
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.bounds import clip, first_of, local_time
from bot.stories import Story, group_stories
from core.records import DeliveryItem, Match, StateChange
from feeds.canonical import without_tracking
from feeds.dates import plausible_date

MESSAGE_LIMIT = 4096
BUDGET = 4000  # leave a margin under Telegram's limit
TITLE_MAX = 300
SNIPPET_MAX = 400
# Bounds on the parts a watchlist or a feed can make long (see bot.bounds).
NAME_MAX = 80  # one watchlist entry's name
REASON_MAX = 60
MATCHED_MOST = 10  # entries named on an alert's evidence line, then "+ N more"
MATCHED_MAX = 800  # characters of that line, tags included
ALSO_MOST = 60  # outlets linked in "also reported by", then "+ N more"
ALSO_MAX = 3000  # characters of those links, tags included (~700 visible)
URL_MAX = 2048  # longer links are not links: no outlet needs them, Telegram may refuse them
STATE_LINES_MOST = 30  # outlets listed in one health-change message
_TAG = re.compile(r"<[^>]*>")
_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.S)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # cannot be encoded to send
_KIND_ORDER = {"person": 0, "case": 1, "keyword": 2, "region": 3}

OLD = timedelta(days=3)  # older articles show their date, marked (matchers.relevance.URGENT_WINDOW)

NameOf = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Message:
    """One message to send and the deliveries it completes; `silent`: without a
    notification sound (the digest)."""

    html: str
    delivery_ids: tuple[int, ...]
    silent: bool = False


def visible_length(text_html: str) -> int:
    """Length as Telegram counts it: UTF-16 units of the text without tags."""
    visible = html.unescape(_TAG.sub("", text_html))
    return len(visible.encode("utf-16-le", "surrogatepass")) // 2


def to_plain(text_html: str) -> str:
    """Readable plain text of one of our messages (console mode, fallback sends)."""
    with_urls = _LINK.sub(lambda m: f"{m.group(2)}\n{html.unescape(m.group(1))}", text_html)
    return html.unescape(_TAG.sub("", with_urls))


def render_alert(
    item: DeliveryItem,
    tz: ZoneInfo,
    name_of: NameOf,
    *,
    now: datetime | None = None,
    also: Sequence[DeliveryItem] = (),
) -> Message:
    """An urgent alert, read on a lock screen: who and what first, then the linked
    title, where and when, the words found, the sentence where they meet, hashtags.

        🔴 VERDICT · Marat Zhylanbayev
        <linked title>
        Azattyq · RU · 08:30 Almaty · 2 h ago
        Жыланбаеву (full name) · приговорил
        <the sentence, name in bold>
        #Zhylanbayev #verdict

    `also`: the same story from other outlets, sent as this one message."""
    now = now or item.seen
    subject = subjects_of(item)
    court = _court_word(item)
    names = [html.escape(_clip(name_of(m.entry_id), NAME_MAX)) for m in subject]
    who = first_of(names, most=3, limit=3 * NAME_MAX) or "—"
    lines = [f"🔴 <b>{html.escape(_stage_label(court))} · {who}</b>", _headline(item)]
    lines.append(_where_when(item, tz, now, relative=True))
    evidence = [
        f"{html.escape(_clip(m.form, 60))} ({html.escape(_clip(m.reason, REASON_MAX))})"
        for m in subject
    ]
    found = first_of(evidence, most=MATCHED_MOST, limit=MATCHED_MAX)
    if court is not None:
        found += (" · " if found else "") + html.escape(_clip(court.form, 60))
    if found:
        lines.append(found)
    snippet = _snippet_if_new(subject[0] if subject else court, item.title)
    if snippet:
        lines.append(snippet)
    others = _outlets(also, item.outlet)
    if others:
        lines.append(f"Also reported by {others}")
    lines.append(_hashtags(item, name_of))
    ids = (item.delivery_id, *(i.delivery_id for i in also))
    return Message("\n".join(lines), ids)


REGION_SECTION = "Other trials in the region"
# Sections with these stages come first, in this order (then other stages, then none).
STAGE_ORDER = ("verdict", "acquittal", "appeal", "detention", "hearing", "charge")


def render_digest(
    items: Sequence[DeliveryItem], tz: ZoneInfo, name_of: NameOf, now: datetime
) -> list[Message]:
    """The digest: a header with the period and counts; a section per case or
    person (verdicts first), one entry per story with the other outlets that
    reported it; then "Other trials in the region", one line each. Split
    between entries under the limit, parts numbered (1/3), a section heading
    never left alone at the end of a part. Sent silently."""
    if not items:
        return []
    stories = group_stories(items)
    sections: dict[str, list[Story]] = defaultdict(list)
    for story in stories:
        sections[_section(story.lead, name_of)].append(story)
    order = sorted(sections, key=lambda s: _section_rank(s, sections[s]))
    blocks = [
        (
            _heading(label, sections[label]),
            [_digest_entry(st, tz, now, name_of, label) for st in sections[label]],
        )
        for label in order
    ]
    header = _digest_header(items, stories, sections.get(REGION_SECTION, []), tz, now)
    return [
        Message(text, ids, silent=True) for text, ids in _numbered(header, _split(header, blocks))
    ]


def subjects_of(item: DeliveryItem) -> list[Match]:
    """The watched people and cases an item is delivered for, best first."""
    found: dict[str, Match] = {}
    for m in _ordered(item.matches):
        if m.kind in ("person", "case") and m.deliverable:
            found.setdefault(m.entry_id, m)
    return list(found.values())


def _court_word(item: DeliveryItem) -> Match | None:
    """The stage's court word: the relevance decision stores it first among keywords."""
    return next((m for m in item.matches if m.kind == "keyword"), None)


def _stage_label(court: Match | None) -> str:
    return court.entry_id.replace("-", " ").replace("_", " ").upper() if court else "ALERT"


def _headline(item: DeliveryItem) -> str:
    title = html.escape(_clip(item.title or item.url or "(untitled)", TITLE_MAX))
    url = _safe_url(item.url)
    link = without_tracking(url) if url else None
    return f'<a href="{html.escape(link, quote=True)}">{title}</a>' if link else title


def _where_when(item: DeliveryItem, tz: ZoneInfo, now: datetime, *, relative: bool) -> str:
    """`Outlet · RU · 08:30 Almaty · 2 h ago` (alerts) or `Outlet · RU · 21 Nov 2026
    08:30` (digest); old articles show their date, marked; an implausible date
    counts as missing (the time first seen is shown)."""
    when = plausible_date(item.published, item.seen) or item.seen
    parts = [html.escape(_clip(item.outlet, 100))]
    if item.lang:
        parts.append(html.escape(item.lang.upper()[:5]))
    age = now - when
    if age > OLD:
        parts.append("📅 " + local_time(when, item.seen, tz, "%d %b %Y") + " (old)")
    elif relative and timedelta(0) <= age < timedelta(hours=20):
        place = str(tz).rsplit("/", 1)[-1].replace("_", " ")
        parts += [f"{local_time(when, item.seen, tz, '%H:%M')} {html.escape(place)}", _ago(age)]
    else:
        parts.append(local_time(when, item.seen, tz))
    if item.author:
        parts.append(f"by {html.escape(_clip(item.author, 60))}")
    return " · ".join(parts)


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} min ago" if minutes < 60 else f"{minutes // 60} h ago"


def _hashtags(item: DeliveryItem, name_of: NameOf) -> str:
    """#Surname for people, #CamelCase for cases and places, then #stage."""
    tags = []
    for m in subjects_of(item)[:4]:
        words = name_of(m.entry_id).split()
        tags.append(_tag(words[-1:] if m.kind == "person" else words))
    court = _court_word(item)
    if court is not None:
        tags.append("#" + re.sub(r"\W+", "_", court.entry_id.replace("-", "_")))
    return html.escape(" ".join(dict.fromkeys(t for t in tags if len(t) > 1)))


def _tag(words: Sequence[str]) -> str:
    joined = "".join(w[:1].upper() + w[1:] for w in re.split(r"[\W_]+", " ".join(words)) if w)
    return "#" + joined[:40]


def _section(item: DeliveryItem, name_of: NameOf) -> str:
    subject = subjects_of(item)
    return name_of(subject[0].entry_id) if subject else REGION_SECTION


def _stage_rank(item: DeliveryItem) -> int:
    court = _court_word(item)
    if court is None:
        return len(STAGE_ORDER) + 1
    return STAGE_ORDER.index(court.entry_id) if court.entry_id in STAGE_ORDER else len(STAGE_ORDER)


def _section_rank(label: str, stories: Sequence[Story]) -> tuple[bool, int, str]:
    best = min(_stage_rank(s.lead) for s in stories)
    return (label == REGION_SECTION, best, label.casefold())


def _heading(label: str, stories: Sequence[Story]) -> str:
    count = _plural(len(stories), "story", "stories")
    icon = "🗺" if label == REGION_SECTION else "⚖️"
    return f"{icon} <b>{html.escape(_clip(label, NAME_MAX))}</b> · {count}"


def _digest_entry(
    story: Story, tz: ZoneInfo, now: datetime, name_of: NameOf, label: str
) -> tuple[str, tuple[int, ...]]:
    item = story.lead
    words = [m.form for m in subjects_of(item)[:2]]
    court = _court_word(item)
    if court is not None:
        words.append(court.form)
    if label == REGION_SECTION:
        places = [m.entry_id for m in item.matches if m.kind == "region"][:2]
        words = places + words
    line = [_where_when(item, tz, now, relative=False)]
    if words:
        line.append(html.escape(", ".join(dict.fromkeys(_clip(w, 40) for w in words))))
    others = _outlets(story.also, item.outlet)
    if others:
        line.append(f"also reported by {others}")
    if label == REGION_SECTION:
        text = f"• {_headline(item)} · " + " · ".join(line)
    else:
        lines = [f"• {_headline(item)}", " · ".join(line)]
        snippet = _snippet_if_new(subjects_of(item)[0] if subjects_of(item) else court, item.title)
        if snippet:
            lines.append(snippet)
        lines.append(_hashtags(item, name_of))
        text = "\n".join(lines)
    return text, story.delivery_ids


def _digest_header(
    items: Sequence[DeliveryItem],
    stories: Sequence[Story],
    regional: Sequence[Story],
    tz: ZoneInfo,
    now: datetime,
) -> str:
    since = min(i.seen for i in items)
    try:
        period = f"{since.astimezone(tz):%d %b %H:%M} – {now.astimezone(tz):%d %b %H:%M}"
    except (OverflowError, ValueError):
        period = f"{now:%d %b %H:%M} UTC"
    watched = len(stories) - len(regional)
    counts = [
        _plural(watched, "story", "stories") + " on watched people and cases" if watched else "",
        _plural(len(regional), "other trial", "other trials") + " in the region"
        if regional
        else "",
        _plural(len(items), "article", "articles"),
    ]
    return f"📰 <b>trialwatch digest</b> · {period}\n" + " · ".join(c for c in counts if c)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


Block = tuple[str, list[tuple[str, tuple[int, ...]]]]
_PART_MARK = " (99/99)"  # room kept in the header for the part number


def _split(header: str, blocks: Sequence[Block]) -> list[tuple[str, tuple[int, ...]]]:
    """Parts under BUDGET; a heading always travels with its first entry."""
    parts: list[tuple[str, tuple[int, ...]]] = []
    body: list[str] = []
    ids: list[int] = []
    room = BUDGET - visible_length(header + _PART_MARK)

    def close() -> None:
        parts.append(("\n".join(body), tuple(ids)))
        body.clear()
        ids.clear()

    for heading, entries in blocks:
        for index, (entry, entry_ids) in enumerate(entries):
            lead = f"\n{heading}\n" if index == 0 else ""
            piece = lead + "\n" + entry
            if body and visible_length("\n".join([*body, piece])) > room:
                close()
                if index:
                    piece = f"\n{heading} (continued)\n\n{entry}"
            body.append(piece)
            ids.extend(entry_ids)
    if body:
        close()
    return parts


def _numbered(
    header: str, parts: Sequence[tuple[str, tuple[int, ...]]]
) -> list[tuple[str, tuple[int, ...]]]:
    total = len(parts)
    out = []
    for number, (body, ids) in enumerate(parts, 1):
        mark = f" ({number}/{total})" if total > 1 else ""
        first, _, rest = header.partition("\n")
        out.append((f"{first}{mark}\n{rest}\n{body}".rstrip(), ids))
    return out


def _outlets(also: Sequence[DeliveryItem], lead_outlet: str) -> str:
    """The other outlets of a story, linked to their articles."""
    links = {}
    for item in also:
        if item.outlet != lead_outlet and item.outlet not in links:
            name = html.escape(_clip(item.outlet, 40))
            url = _safe_url(item.url)
            href = html.escape(without_tracking(url), quote=True) if url else None
            links[item.outlet] = f'<a href="{href}">{name}</a>' if href else name
    # Every outlet of the story is linked (its article reaches the channel only here),
    # within a bound that keeps one entry far under a message.
    return first_of(list(links.values()), most=ALSO_MOST, limit=ALSO_MAX)


def _ordered(matches: Sequence[Match]) -> list[Match]:
    delivered = [m for m in matches if m.deliverable] or list(matches)
    return sorted(delivered, key=lambda m: (_KIND_ORDER[m.kind], -m.score, m.start))


def _snippet_if_new(match: Match | None, title: str) -> str | None:
    """The snippet, unless it only repeats the headline."""
    if match is None or not match.snippet.strip():
        return None
    if _squash(match.snippet) in _squash(title) or _squash(title) == _squash(match.snippet):
        return None
    return _snippet(match)


def _squash(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


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
