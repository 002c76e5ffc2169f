"""Replica-mode settings: refused with the variable's name when they cannot work."""

from datetime import time, timedelta

import pytest

from bot.cli import main
from bot.settings import Settings, parse_times


def test_replica_mode_on_sqlite_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Replicas share one PostgreSQL database; on SQLite each would poll alone."""
    monkeypatch.setenv("TRIALWATCH_MODE", "replica")
    assert main(["run", "--once"]) == 1
    err = capsys.readouterr().err
    assert "TRIALWATCH_MODE=replica needs TRIALWATCH_DATABASE_URL=postgresql://" in err


def test_lease_and_concurrency_are_checked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRIALWATCH_REPLICA_LEASE", "soon")
    monkeypatch.setenv("TRIALWATCH_REPLICA_CONCURRENCY", "0")
    assert main(["run", "--once"]) == 1
    err = capsys.readouterr().err
    assert "TRIALWATCH_REPLICA_LEASE" in err
    assert "TRIALWATCH_REPLICA_CONCURRENCY" in err


def test_digest_times_may_give_seconds() -> None:
    """`09:00:30`: replicas' clocks fire a digest at a precise second (and tests need it)."""
    assert parse_times("09:00, 18:30:15") == [time(9, 0), time(18, 30, 15)]
    with pytest.raises(ValueError, match="is not a time like 09:00"):
        parse_times("09:00:00:00")


def test_lease_default() -> None:
    assert Settings().lease == timedelta(seconds=30)
