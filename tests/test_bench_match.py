"""A quick smoke of the matching bench (`python -m bench.match`), so it cannot rot."""

import pytest

from bench.match import main

pytestmark = pytest.mark.slow


def test_match_bench_prints_both_corpora_and_the_index_cost(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Seeds, digests, load, both corpora, the planted people found, the key cost."""
    main(["--mb", "0.05", "--sizes", "10", "--budget", "0.05"])
    out = capsys.readouterr().out
    assert "load average" in out and "seed 2026" in out and "sha256" in out
    rows = [line.split() for line in out.splitlines() if line.split()[:2] == ["hit-heavy", "10"]]
    assert rows and rows[-1][-2].endswith("%") and int(rows[-1][-2][:-1]) >= 80
    assert any(line.split()[:2] == ["name-free", "10"] for line in out.splitlines())
    assert "name_keys" in out and "search_doc" in out
