"""Which publication dates to believe. Pure functions: `now` comes in as an argument.

Feeds carry impossible dates: year 0001 from a static-site generator's zero
value, 1970 from a zero timestamp, a year in the future from a typo or a wrong
time zone. Such a date is treated as missing, so the article is dated when it
was first seen; a believed date is never before `EARLIEST` nor more than
`FUTURE_SLACK` after the poll that found it.
"""

from datetime import UTC, datetime, timedelta

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # before the outlets we follow had feeds
FUTURE_SLACK = timedelta(days=1)  # clock skew and time-zone mistakes up to a day are normal


def plausible_date(published: datetime | None, now: datetime) -> datetime | None:
    """`published` if it is aware and between EARLIEST and now + FUTURE_SLACK, else None."""
    if published is None or published.tzinfo is None:
        return None
    if EARLIEST <= published <= now + FUTURE_SLACK:
        return published
    return None
