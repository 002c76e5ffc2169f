"""Which publication dates to believe. Pure functions: `now` comes in as an argument.

Feeds carry impossible dates: year 0001 from a static-site generator's zero
value, 1970 from a zero timestamp, a year in the future from a typo or a wrong
time zone. Such a date is treated as missing, so the article is dated when it
was first seen; a believed date is never before `EARLIEST` nor more than
`FUTURE_SLACK` after the poll that found it.
"""

import re
from datetime import UTC, date, datetime, timedelta

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # before the outlets we follow had feeds
FUTURE_SLACK = timedelta(days=1)  # clock skew and time-zone mistakes up to a day are normal
_ISO_DATE = re.compile(r"\s*([+-]?\d+)-(\d+)-(\d+)")


def plausible_date(published: datetime | None, now: datetime) -> datetime | None:
    """`published` if it is aware and between EARLIEST and now + FUTURE_SLACK, else None."""
    if published is None or published.tzinfo is None:
        return None
    if EARLIEST <= published <= now + FUTURE_SLACK:
        return published
    return None


def exists_as_written(raw: object) -> bool:
    """False when an ISO 8601 date as written names no day of the calendar.

    feedparser reads such dates leniently into real but wrong ones:
    `-0001-11-30` → 2000-01-01, `10000-01-01` → 2010-11-01, `2026-02-30` → 2 March.
    Other forms (RFC 822 and the like) feedparser checks itself.
    """
    found = _ISO_DATE.match(raw) if isinstance(raw, str) else None
    if found is None:
        return True
    try:
        date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return False
    return True
