"""An outlet's health and the usual gap between its new items.

Pure functions: no network, no database, no clock (`now` comes in). Storage
writes what they decide.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from core.records import Health, OutletStatus, StateChange

# Errors in a row before an outlet's health changes: one bad poll is weather.
FAILING_AFTER = 3
BLOCKED_OR_BROKEN_AFTER = 2
# Silent: no new item for this many usual gaps, and at least SILENT_MIN.
SILENT_GAPS = 8
SILENT_MIN = timedelta(days=2)
# Weight of the newest gap in the smoothed one (exponential moving average):
# a single burst or lull moves the usual gap by less than a third.
GAP_WEIGHT = 0.3


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


def smoothed_gap(
    last_new_at: datetime | None, new_gap: timedelta | None, now: datetime
) -> timedelta | None:
    """The usual time between polls that find new items, after one more such poll
    at `now`; whole seconds. None (keep what is stored) before the second one."""
    if last_new_at is None:
        return None
    gap = (now - last_new_at).total_seconds()
    old = new_gap.total_seconds() if new_gap else gap
    return timedelta(seconds=int((1 - GAP_WEIGHT) * old + GAP_WEIGHT * gap))


def state_changes(outlets: Sequence[OutletStatus], now: datetime) -> list[StateChange]:
    """The outlets whose health at `now` differs from their stored state, by id."""
    changes = []
    for o in outlets:
        state = outlet_state(
            failures=o.failures,
            error_kind=o.error_kind,
            last_new_at=o.last_new_at,
            new_gap=o.new_gap,
            now=now,
        )
        if state != o.state:
            changes.append(StateChange(o.id, o.name, o.state, state, o.last_error))
    return sorted(changes, key=lambda c: c.outlet_id)
