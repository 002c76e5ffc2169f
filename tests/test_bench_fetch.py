"""A quick smoke of the fetch bench (10 feeds), so that `python -m bench.fetch` cannot rot."""

import pytest

from bench.fetch import main

pytestmark = pytest.mark.slow


def test_fetch_bench_runs_every_case(capsys: pytest.CaptureFixture[str]) -> None:
    """The bench serves feeds, polls them all-304 with each client and prints a row each."""
    main(["--feeds", "10", "--items", "2", "--hosts", "2", "--runs", "1", "--latencies", "0,20"])
    out = capsys.readouterr().out
    assert "load average" in out and "10 feeds (all 304) from 2 loopback addresses" in out
    for latency in ("+0 ms", "+20 ms"):
        assert f"all-304 poll, {latency} a response" in out
    for case in ("aiohttp", "httpx floor", "httpx floor, URLs parsed before", "trialwatch"):
        assert f"| {case} | " in out
