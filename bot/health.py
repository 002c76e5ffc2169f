"""Is the monitor alive? Pure: takes the heartbeat and `now`."""

from dataclasses import dataclass
from datetime import datetime

from core.records import HeartbeatRecord

GRACE = 3  # poll intervals without a finished cycle before the monitor counts as stuck


@dataclass(frozen=True, slots=True)
class Verdict:
    """Is the monitor alive, and a one-line reason."""

    healthy: bool
    reason: str


def judge(heartbeat: HeartbeatRecord | None, now: datetime) -> Verdict:
    """The verdict for `trialwatch health` and the Docker HEALTHCHECK."""
    if heartbeat is None:
        return Verdict(False, "unhealthy: no `trialwatch run` has started on this database")
    window = heartbeat.every * GRACE
    if heartbeat.cycle_at is None:
        age = now - heartbeat.started_at
        if age <= window:
            return Verdict(
                True, f"healthy: started {_ago(age.total_seconds())}, first cycle running"
            )
        return Verdict(
            False, f"unhealthy: started {_ago(age.total_seconds())} and no cycle finished"
        )
    age = now - heartbeat.cycle_at
    if age <= window:
        return Verdict(True, f"healthy: last poll cycle finished {_ago(age.total_seconds())}")
    return Verdict(
        False,
        (
            f"unhealthy: last poll cycle finished {_ago(age.total_seconds())}, "
            f"more than {GRACE} poll intervals ({_ago(window.total_seconds(), suffix='')}) "
        ).rstrip(),
    )


def _ago(seconds: float, suffix: str = " ago") -> str:
    if seconds < 120:
        return f"{int(seconds)}s{suffix}"
    if seconds < 7200:
        return f"{int(seconds // 60)}m{suffix}"
    return f"{seconds / 3600:.1f}h{suffix}"
