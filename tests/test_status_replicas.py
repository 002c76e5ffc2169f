"""`trialwatch status` shows the replicas: host, pid, state, last heartbeat, tasks done."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.status import render_replicas
from storage.replicas import ReplicaStatus

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def replica(pid: int, beat_ago: float, stopped: bool = False) -> ReplicaStatus:
    started = NOW - timedelta(hours=2)
    beat = NOW - timedelta(seconds=beat_ago)
    return ReplicaStatus(
        f"h:{pid}", "node-a", pid, started, beat, pid * 10, beat if stopped else None
    )


def test_replica_states_follow_heartbeat_and_lease() -> None:
    """Alive within the lease, silent past it (its tasks get taken over), stopped when
    it stopped cleanly; times in the configured zone."""
    table = render_replicas(
        [replica(11, 3), replica(12, 31), replica(13, 600, stopped=True)],
        NOW,
        ZoneInfo("Asia/Almaty"),
        LEASE,
    ).splitlines()
    assert table[0].split() == [
        "host",
        "pid",
        "state",
        "started",
        "last",
        "heartbeat",
        "tasks",
        "done",
    ]
    assert table[1].split() == [
        "node-a",
        "11",
        "alive",
        "29",
        "Nov",
        "13:00",
        "14:59:57",
        "(3s",
        "ago)",
        "110",
    ]
    assert table[2].split()[2] == "silent"
    assert table[2].split()[-3:] == ["(31s", "ago)", "120"]
    assert table[3].split()[2] == "stopped"
    assert "(10m ago)" in table[3]
