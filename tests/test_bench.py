"""A quick smoke of the bench suite (10 feeds), so that `make bench` cannot rot."""

import pytest

from bench.suite import main

pytestmark = pytest.mark.slow


def test_bench_suite_runs_and_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    """The suite serves feeds, runs every case and prints figures and ratios."""
    args = "--feeds 10 --items 3 --people 5 --runs 1 --latencies 0,20 --naive-sample 3"
    table = main([*args.split(), "--no-match", "--no-startup"])  # each has its own smoke test
    out = capsys.readouterr().out
    assert "cores" in out and "load average" in out
    assert "seed 2026" in out
    for case in ("all-304 poll, fetch, loopback", "all-304 poll, whole cycle, +20 ms"):
        assert case in table
    assert "full first cycle" in table and "items/s" in table
