"""Bounds every message part must keep, whatever the message format. Pure functions.

A feed or a watchlist can make any part of a message arbitrarily long (a 10 kB
title, 150 people matched in one article) or carry a date no calendar can show
(year 0001 in a time zone west of UTC). These helpers keep each part small and
printable, so that a format built from them stays under Telegram's limit.
"""

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from feeds.dates import plausible_date


def clip(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters, cut at a word with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1] + "…"


def first_of(items: Sequence[str], *, most: int, limit: int, sep: str = ", ") -> str:
    """At most `most` items joined by `sep`, then "+ N more"; also cut before
    `limit` characters (counted on the items as given), so the result is bounded
    however many and however long the items are."""
    shown: list[str] = []
    used = 0
    for item in items[:most]:
        if shown and used + len(sep) + len(item) > limit:
            break
        shown.append(item)
        used += len(item) + len(sep)
    rest = len(items) - len(shown)
    return sep.join(shown) + (f" + {rest} more" if rest else "")


def local_time(
    published: datetime | None, seen: datetime, tz: ZoneInfo, fmt: str = "%d %b %Y %H:%M"
) -> str:
    """When an article appeared, in `tz`: its date if plausible, else when first seen.
    Never raises, whatever the date and the time zone."""
    for when in (plausible_date(published, seen), seen):
        if when is None:
            continue
        try:
            return when.astimezone(tz).strftime(fmt)
        except (OverflowError, ValueError):
            continue
    return "date unknown"
