"""What a poll decides: which articles are new, what the outlet row learns, when to
poll next. Pure functions: no network, no database, no clock (`now` and jitter
come in as arguments). Storage writes what they decide.
"""

from datetime import datetime, timedelta

from core.errors import FeedError
from core.records import OutletForPoll, OutletUpdate
from feeds.health import smoothed_gap
from feeds.records import FetchedFeed

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


def due_by(now: datetime, tick: timedelta) -> datetime:
    """The latest next-poll time that counts as due at a tick run at `now`: half a tick on.

    A cycle sets `next_poll_at = its start + every`, its start being a few ms after
    its tick; the tick `every` later then finds that time a few ms in the future.
    Polling at the nearest tick rather than the next one keeps an outlet whose
    interval equals the tick on every tick, not every other one."""
    return now + tick / 2


def after_success(
    outlet: OutletForPoll, feed: FetchedFeed, now: datetime, *, found_new: bool
) -> OutletUpdate:
    """The outlet after a 200 or 304: validators kept, failures reset, the next poll
    `every` from now; when it found new items, the usual gap between them updated."""
    return OutletUpdate(
        outlet_id=outlet.id,
        polled_at=now,
        next_poll_at=next_poll_at(now, outlet.every),
        etag=feed.etag,
        last_modified=feed.last_modified,
        moved_to=feed.moved_to,
        status=feed.status,
        found_new=found_new,
        new_gap=smoothed_gap(outlet.last_new_at, outlet.new_gap, now) if found_new else None,
    )


def after_failure(
    outlet: OutletForPoll,
    error: FeedError,
    now: datetime,
    *,
    retry_after: timedelta | None,
    jitter: float,
) -> OutletUpdate:
    """The outlet after a failed poll: one more failure in a row, the error and its
    kind recorded, validators kept, the next poll backed off."""
    failures = outlet.failures + 1
    return OutletUpdate(
        outlet_id=outlet.id,
        polled_at=now,
        next_poll_at=next_poll_at(
            now, outlet.every, failures=failures, retry_after=retry_after, jitter=jitter
        ),
        etag=outlet.etag,
        last_modified=outlet.last_modified,
        error=str(error),
        error_kind=error.kind,
        failures=failures,
        status=error.status,
    )
