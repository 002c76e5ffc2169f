"""When to poll an outlet next. Pure functions: `now` and jitter come in as arguments."""

from datetime import datetime, timedelta

MAX_BACKOFF = timedelta(hours=4)


def next_poll_at(
    now: datetime,
    every: timedelta,
    *,
    failures: int = 0,
    retry_after: timedelta | None = None,
    jitter: float = 0.0,
) -> datetime:
    """The next poll: `every` after a success; after failures, exponential backoff
    (capped at MAX_BACKOFF, never below `every`), at least `retry_after`, with up to
    10 % jitter (`jitter` in [0, 1)) so that failing outlets do not retry in step."""
    wait = every
    if failures > 0:
        wait = max(every, min(every * 2 ** (failures - 1), MAX_BACKOFF))
        wait += wait * 0.1 * jitter
    if retry_after is not None:
        wait = max(wait, min(retry_after, MAX_BACKOFF))
    return now + wait
