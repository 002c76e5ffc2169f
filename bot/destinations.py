"""Destinations (`config/destinations.yaml`): where each matched article goes.
Pure functions: they take text, records and `now`; no I/O, no clock, no Telegram.

destinations:
  - id: main                    # lowercase letters, digits, - and _
    chat: -1001234567890        # channel or group id (-100…), or @channelname
  - id: january
    chat: -1005550000001
    topic: 42                   # optional forum topic (message_thread_id)
    filter:                     # optional; every key narrows, a missing key lets all through
      entries: [zhylanbayev]    # watchlist ids of any kind
      cases: [bloody-january]   # watchlist case ids
      kinds: [person, case]     # person | case | keyword
      languages: [ru, kk]       # the outlet's language
      regions: [almaty]         # the regions found in the article
      urgent_only: false        # true: urgent alerts only, no digest
    digest_at: "09:00, 18:30"   # optional, default TRIALWATCH_DIGEST_AT (quote the times)
    quiet: "22:00-07:00"        # optional: non-urgent messages wait until it ends
    timezone: Asia/Almaty       # optional, default TRIALWATCH_TIMEZONE

An article goes to every destination whose filter it passes (`destinations_for`), once
each. Without the file there is one destination, `default`: TRIALWATCH_TELEGRAM_CHAT.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.records import DEFAULT_DESTINATION, Match
from core.records import MatchKind as Kind
from core.yamlconf import Located, check_keys, load_located, records, text_list, unique_ids
from matchers import Watchlist

DEFAULT_ID = DEFAULT_DESTINATION  # TRIALWATCH_TELEGRAM_CHAT, when there is no file
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
LANG_PATTERN = re.compile(r"[a-z]{2,3}\Z")
CHANNEL_NAME = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,}\Z")
DESTINATION_KEYS = {"id", "chat", "topic", "filter", "digest_at", "quiet", "timezone"}
FILTER_KEYS = {"entries", "cases", "kinds", "languages", "regions", "urgent_only"}
KINDS: tuple[str, ...] = get_args(Kind)


@dataclass(frozen=True, slots=True)
class DestinationFilter:
    """What a destination receives. Every non-empty set narrows; empty lets everything in."""

    entries: frozenset[str] = frozenset()  # any of these entries (with `cases`)
    cases: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    urgent_only: bool = False


@dataclass(frozen=True, slots=True)
class Destination:
    """One chat, channel or forum topic, with its filter and its schedule."""

    id: str
    chat: int | str
    topic: int | None = None
    filter: DestinationFilter = DestinationFilter()
    digest_at: tuple[time, ...] = (time(9, 0),)
    quiet: tuple[time, time] | None = None  # local (start, end); may wrap midnight
    timezone: str = "Asia/Almaty"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def label(self) -> str:
        """How logs and errors name it: `id (chat -100…, topic 42)`."""
        topic = f", topic {self.topic}" if self.topic is not None else ""
        return f"{self.id} (chat {self.chat}{topic})"


@dataclass(frozen=True, slots=True)
class ArticleFacts:
    """What a filter looks at in one article."""

    matches: tuple[Match, ...]
    lang: str
    urgent: bool
    regions: frozenset[str] = frozenset()


def destinations_for(facts: ArticleFacts, destinations: Sequence[Destination]) -> tuple[str, ...]:
    """Ids of the destinations whose filter `facts` pass, in configuration order.
    An article with no deliverable match goes nowhere."""
    found = [m for m in facts.matches if m.deliverable]
    if not found:
        return ()
    return tuple(d.id for d in destinations if passes(d.filter, facts, found))


def passes(f: DestinationFilter, facts: ArticleFacts, found: Sequence[Match]) -> bool:
    """All of the filter's conditions hold (each empty condition holds)."""
    wanted = f.entries | f.cases
    return (
        (not wanted or any(m.entry_id in wanted for m in found))
        and (not f.kinds or any(m.kind in f.kinds for m in found))
        and (not f.languages or facts.lang in f.languages)
        and (not f.regions or bool(f.regions & facts.regions))
        and (facts.urgent or not f.urgent_only)
    )


def is_quiet(destination: Destination, now: datetime) -> bool:
    """Inside the destination's quiet hours (local time), when non-urgent messages wait."""
    if destination.quiet is None:
        return False
    start, end = destination.quiet
    local = now.astimezone(destination.tz).time()
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # wraps midnight, e.g. 22:00-07:00


def last_digest_time(destination: Destination, now: datetime) -> datetime | None:
    """The latest scheduled digest at or before `now` (within two days), moved to the end of
    quiet hours when it falls inside them; None if it is not yet reached."""
    if not destination.digest_at:
        return None
    tz = destination.tz
    today = now.astimezone(tz).date()
    candidates = []
    for back in (0, 1, 2):
        day = today - timedelta(days=back)
        for at in destination.digest_at:
            when = datetime.combine(day, at, tzinfo=tz)
            candidates.append(_after_quiet(destination, when))
    reached = [c for c in candidates if c <= now]
    return max(reached) if reached else None


def digest_due(destination: Destination, last_sent: datetime, now: datetime) -> bool:
    """A digest is due when a scheduled time (or the end of the quiet hours it fell in)
    has passed since `last_sent`, and it is not quiet now."""
    if destination.filter.urgent_only or is_quiet(destination, now):
        return False
    scheduled = last_digest_time(destination, now)
    return scheduled is not None and scheduled > last_sent


def digest_slot(destination: Destination, now: datetime, grace: timedelta) -> datetime | None:
    """The scheduled digest time (moved past quiet hours, as in `digest_due`) that has
    come at `now` and is at most `grace` old: what a clock firing now stands for, the
    same instant whichever process reads the clock. None when there is none, when the
    destination takes no digest (urgent_only) or it is quiet now."""
    if destination.filter.urgent_only or is_quiet(destination, now):
        return None
    scheduled = last_digest_time(destination, now)
    if scheduled is None or now - scheduled > grace:
        return None
    return scheduled


def _after_quiet(destination: Destination, when: datetime) -> datetime:
    if destination.quiet is None or not is_quiet(destination, when):
        return when
    end = destination.quiet[1]
    local = when.astimezone(destination.tz)
    candidate = datetime.combine(local.date(), end, tzinfo=destination.tz)
    return candidate if candidate > local else candidate + timedelta(days=1)


def single_destination(
    chat: int | str, digest_at: Sequence[time], timezone: str
) -> list[Destination]:
    """Without destinations.yaml: everything to TRIALWATCH_TELEGRAM_CHAT, as before."""
    return [Destination(DEFAULT_ID, chat, digest_at=tuple(digest_at), timezone=timezone)]


def parse_destinations(
    text: str,
    path: str,
    watchlist: Watchlist,
    *,
    default_digest_at: Sequence[time] = (time(9, 0),),
    default_timezone: str = "Asia/Almaty",
) -> list[Destination]:
    """Parse and validate destinations.yaml against the watchlist; raise `ConfigError`
    listing every problem as `path:line: key: problem`."""
    located = load_located(text, path)
    if not isinstance(located.data, dict) or "destinations" not in located.data:
        located.problem("", "expected a mapping with a 'destinations:' list")
        located.check()
    for name in sorted(located.data.keys() - {"destinations"}):
        located.problem(name, "unknown section; the file holds only 'destinations:'")
    defaults = _Defaults(tuple(default_digest_at), default_timezone, watchlist)
    found = [
        (key, _destination(located, key, item, defaults))
        for key, item in records(located, "destinations")
    ]
    if not found and not located.problems:
        located.problem("destinations", "list at least one destination, or delete the file")
    unique_ids(
        located,
        [(key, d.id) for key, d in found if d.id],
        lambda i: bool(ID_PATTERN.match(i)),
        "use lowercase letters, digits, - and _",
    )
    _distinct_targets(located, found)
    located.check()
    return [d for _, d in found]


@dataclass(frozen=True, slots=True)
class _Defaults:
    digest_at: tuple[time, ...]
    timezone: str
    watchlist: Watchlist


def _destination(
    located: Located, key: str, item: dict[str, Any], defaults: _Defaults
) -> Destination:
    check_keys(located, key, item, {"id", "chat"}, DESTINATION_KEYS)
    ident = item.get("id")
    if "id" in item and not isinstance(ident, str):
        located.problem(f"{key}.id", f"expected text like main, got {ident!r}")
    digest_at = defaults.digest_at
    if "digest_at" in item:
        digest_at = tuple(_times(located, f"{key}.digest_at", item["digest_at"]))
    timezone = defaults.timezone
    if "timezone" in item:
        timezone = _timezone(located, f"{key}.timezone", item["timezone"]) or timezone
    return Destination(
        id=ident if isinstance(ident, str) else "",
        chat=_chat(located, f"{key}.chat", item.get("chat")),
        topic=_topic(located, f"{key}.topic", item.get("topic")),
        filter=_filter(located, f"{key}.filter", item.get("filter"), defaults.watchlist),
        digest_at=digest_at,
        quiet=_quiet(located, f"{key}.quiet", item.get("quiet")),
        timezone=timezone,
    )


def _chat(located: Located, key: str, value: Any) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        if CHANNEL_NAME.match(text):
            return text
    if value is not None:
        located.problem(
            key, f"expected a chat id like -1001234567890 or @channelname, got {value!r}"
        )
    return 0


def _topic(located: Located, key: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        located.problem(
            key, f"expected the forum topic's number (message_thread_id), got {value!r}"
        )
        return None
    return value


def _filter(located: Located, key: str, value: Any, watchlist: Watchlist) -> DestinationFilter:
    if value is None:
        return DestinationFilter()
    if not isinstance(value, dict):
        located.problem(key, "expected a mapping with entries, cases, kinds, languages, ...")
        return DestinationFilter()
    check_keys(located, key, value, set(), FILTER_KEYS)
    entry_ids = set(watchlist.entry_ids())
    case_ids = {c.id for c in watchlist.cases}
    entries = _members(located, f"{key}.entries", value.get("entries"), entry_ids, "an entry id")
    cases = _members(located, f"{key}.cases", value.get("cases"), case_ids, "a case id")
    kinds = _members(located, f"{key}.kinds", value.get("kinds"), set(KINDS), "a kind")
    languages = frozenset(text_list(located, f"{key}.languages", value.get("languages")))
    for index, lang in enumerate(sorted(languages)):
        if not LANG_PATTERN.match(lang):
            located.problem(f"{key}.languages[{index}]", f"{lang!r} is not a code like en, ru, kk")
    regions = _regions(located, f"{key}.regions", value.get("regions"), watchlist)
    urgent_only = value.get("urgent_only", False)
    if not isinstance(urgent_only, bool):
        located.problem(f"{key}.urgent_only", f"expected true or false, got {urgent_only!r}")
        urgent_only = False
    return DestinationFilter(entries, cases, kinds, languages, regions, urgent_only)


def _regions(located: Located, key: str, value: Any, watchlist: Watchlist) -> frozenset[str]:
    """Region names (any of their forms in the watchlist's `regions:`), case-folded to
    the name the matcher reports."""
    names = {
        form.casefold(): region.name.casefold()
        for region in watchlist.regions
        for form in (region.name, *region.aliases)
    }
    found = set()
    for index, item in enumerate(text_list(located, key, value)):
        if item.casefold() in names:
            found.add(names[item.casefold()])
        else:
            known = ", ".join(r.name for r in watchlist.regions[:12]) or "none: add a regions: list"
            located.problem(
                f"{key}[{index}]", f"{item!r} is not a region of the watchlist; known: {known}"
            )
    return frozenset(found)


def _members(
    located: Located, key: str, value: Any, allowed: set[str], what: str
) -> frozenset[str]:
    items = text_list(located, key, value)
    for index, item in enumerate(items):
        if item not in allowed:
            known = ", ".join(sorted(allowed)[:12]) or "none"
            located.problem(
                f"{key}[{index}]", f"{item!r} is not {what} in the watchlist; known: {known}"
            )
    return frozenset(items)


def _times(located: Located, key: str, value: Any) -> list[time]:
    """`"09:00, 18:30"` or `["09:00", "18:30"]`; an empty list means no digest."""
    parts = value.split(",") if isinstance(value, str) else value
    if not isinstance(parts, list):
        located.problem(key, f'expected times like "09:00, 18:30", got {value!r}')
        return []
    times = []
    for part in parts:
        parsed = _time(part)
        if parsed is None:
            located.problem(key, _time_problem(part))
        else:
            times.append(parsed)
    return sorted(set(times))


def _quiet(located: Located, key: str, value: Any) -> tuple[time, time] | None:
    if value is None:
        return None
    ends = value.split("-") if isinstance(value, str) else []
    parsed = [_time(e) for e in ends]
    if len(parsed) != 2 or parsed[0] is None or parsed[1] is None:
        hint = _time_problem(value) if not isinstance(value, str) else f"got {value!r}"
        located.problem(key, f'expected a range like "22:00-07:00"; {hint}')
        return None
    if parsed[0] == parsed[1]:
        located.problem(key, "the range is empty: start and end are the same time")
        return None
    return parsed[0], parsed[1]


def _time(value: Any) -> time | None:
    if not isinstance(value, str):
        return None
    m = re.fullmatch(r"\s*([01]?\d|2[0-3]):([0-5]\d)\s*", value)
    return time(int(m.group(1)), int(m.group(2))) if m else None


def _time_problem(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return (
            f'got the number {value}: put times in quotes, like "18:30" '
            "(unquoted, YAML reads 18:30 as a number)"
        )
    return f'{value!r} is not a time like "09:00"'


def _timezone(located: Located, key: str, value: Any) -> str | None:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        located.problem(key, f"unknown time zone {value!r}; use a name like Asia/Almaty")
        return None
    return str(value)


def _distinct_targets(located: Located, found: list[tuple[str, Destination]]) -> None:
    """Two destinations posting to the same chat and topic would post everything twice."""
    first: dict[tuple[str, int | None], str] = {}
    for key, d in found:
        target = (str(d.chat), d.topic)
        if target in first and d.chat:
            line = located.line(first[target])
            located.problem(f"{key}.chat", f"same chat and topic as the destination on line {line}")
        first.setdefault(target, f"{key}.chat")
