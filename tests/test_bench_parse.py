"""A quick smoke of the parse bench (3 feeds), so that `python -m bench.parse` cannot rot."""

import pytest

from bench.parse import main

pytestmark = pytest.mark.slow


def test_parse_bench_runs_and_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    table = main(["--feeds", "3", "--items", "2", "--runs", "1"])
    out = capsys.readouterr().out
    assert "cores" in out and "load average" in out and "seed 2026" in out
    assert "3 of 3 read by the fast path" in table
    for case in ("feedparser naive", "fast path (entries only)", "parse (fast path + fallback)"):
        assert case in table
