"""Is the monitor alive? Pure: takes the heartbeat and `now`."""

from datetime import datetime

from core.records import HeartbeatRecord

GRACE = 3  # poll intervals without a finished cycle before the monitor counts as stuck


def judge(heartbeat: HeartbeatRecord | None, now: datetime) -> tuple[bool, str]:
    """(healthy, one-line reason) for `trialwatch health` and the Docker HEALTHCHECK."""
    if heartbeat is None:
        return False, "unhealthy: no `trialwatch run` has started on this database"
    window = heartbeat.every * GRACE
    if heartbeat.cycle_at is None:
        age = now - heartbeat.started_at
        if age <= window:
            return True, f"healthy: started {_ago(age.total_seconds())}, first cycle running"
        return False, f"unhealthy: started {_ago(age.total_seconds())} and no cycle finished"
    age = now - heartbeat.cycle_at
    if age <= window:
        return True, f"healthy: last poll cycle finished {_ago(age.total_seconds())}"
    return False, (
        f"unhealthy: last poll cycle finished {_ago(age.total_seconds())}, "
        f"more than {GRACE} poll intervals ({_ago(window.total_seconds(), suffix='')}) "
    ).rstrip()


def _ago(seconds: float, suffix: str = " ago") -> str:
    if seconds < 120:
        return f"{int(seconds)}s{suffix}"
    if seconds < 7200:
        return f"{int(seconds // 60)}m{suffix}"
    return f"{seconds / 3600:.1f}h{suffix}"
