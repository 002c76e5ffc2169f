"""When to poll an outlet next. Pure functions: `now` and jitter come in as arguments."""

from datetime import datetime, timedelta

from core.records import Health

MAX_BACKOFF = timedelta(hours=4)
# Errors in a row before an outlet's health changes: one bad poll is weather.
FAILING_AFTER = 3
BLOCKED_OR_BROKEN_AFTER = 2
# Silent: no new item for this many usual gaps, and at least SILENT_MIN.
SILENT_GAPS = 8
SILENT_MIN = timedelta(days=2)


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


def outlet_state(
    *,
    failures: int,
    error_kind: str | None,
    last_new_at: datetime | None,
    new_gap: timedelta | None,
    now: datetime,
) -> Health:
    """An outlet's health: ok, failing, blocked, broken or silent."""
    if failures >= BLOCKED_OR_BROKEN_AFTER:
        if error_kind == "blocked":
            return "blocked"
        if error_kind == "broken":
            return "broken"
    if failures >= FAILING_AFTER:
        return "failing"
    quiet_for = now - last_new_at if last_new_at is not None else None
    if (
        quiet_for is not None
        and new_gap is not None
        and (quiet_for > max(SILENT_MIN, new_gap * SILENT_GAPS))
    ):
        return "silent"
    return "ok"
