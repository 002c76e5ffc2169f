"""A quick run of the replica bench (8 outlets), so that `python -m bench.replicas`
cannot rot: single mode and one replica, both cycles, the table printed."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_replica_bench_runs_and_prints_its_table(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas share a PostgreSQL database")
    args = "--outlets 8 --items 2 --latency 20 --hosts 2 --replicas 0,1"
    run = subprocess.run(
        [sys.executable, "-m", "bench.replicas", "--postgres", database_url, *args.split()],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    assert "inputs: 8 outlets × 2 items, 20 ms latency" in out and "load average" in out
    rows = {
        line.split("|")[1].strip(): line.split("|")[2:-1]
        for line in out.splitlines()
        if line.startswith("| 1")
    }
    assert set(rows) == {"1, single mode", "1 replica(s)"}
    for cells in rows.values():
        seconds, written = float(cells[0]), int(cells[5].strip().replace(",", ""))
        assert seconds > 0 and written >= 8 * 2  # every article stored in cycle 1
