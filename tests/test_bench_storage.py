"""A quick smoke of the storage bench (`python -m bench.storage`), so that it cannot rot."""

import os

import pytest

from bench.storage import main

pytestmark = pytest.mark.slow


def test_storage_bench_prints_inputs_and_every_case(capsys: pytest.CaptureFixture[str]) -> None:
    """Naive, Core and trialwatch, stored and "seen?", on SQLite and (when configured)
    PostgreSQL, with the inputs and the load printed before the table."""
    postgres = os.environ.get("TRIALWATCH_TEST_POSTGRES_URL")
    args = ["--feeds", "3", "--items", "4", "--sample", "5", "--runs", "1"]
    table = main(args + (["--postgres", postgres] if postgres else []))
    out = capsys.readouterr().out
    assert "load average" in out and "3 feeds × 4 articles" in out
    databases = ["SQLite WAL"] + (["PostgreSQL"] if postgres else [])
    for database in databases:
        assert f"| store 12 articles ({database}) | ≈" in table
        assert f'| "seen?" 12 ({database}) | ≈' in table
    assert "index documents" in table
