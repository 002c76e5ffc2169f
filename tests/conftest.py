"""Shared fixtures: real loopback servers, real SQLite and (when configured) PostgreSQL."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import stamina
from sqlalchemy import text

from feeds.localserver import OutletServer, serve
from storage.db import make_engine
from tests.telegram_server import FakeTelegram, fake_telegram

DATA = Path(__file__).parent / "data"
TOKEN = "7000000001:AAFakeTokenForTestsOnly_abcdefghijkl"
POSTGRES_URL = os.environ.get("TRIALWATCH_TEST_POSTGRES_URL")


@pytest.fixture(autouse=True)
def _no_retry_waits() -> Iterator[None]:
    """Retries happen, but without sleeping."""
    with stamina.set_testing(True, attempts=3):
        yield


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer .env or TRIALWATCH_* variable leaks into a test."""
    for name in list(os.environ):
        if name.startswith("TRIALWATCH_") and name != "TRIALWATCH_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    # The compiled watchlist's default folder without a SQLite file: never the user's.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.slow)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: SQLite in tmp, or PostgreSQL when configured."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'trialwatch.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("set TRIALWATCH_TEST_POSTGRES_URL to run storage tests on PostgreSQL")
    _drop_everything(POSTGRES_URL)
    yield POSTGRES_URL
    _drop_everything(POSTGRES_URL)


def _drop_everything(url: str) -> None:
    """Our tables, Alembic's and the task queue's (procrastinate: tables, types, functions)."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def feed_dir(tmp_path: Path) -> Path:
    """A writable copy of tests/data/feeds, so a test can add items."""
    target = tmp_path / "feeds"
    shutil.copytree(DATA / "feeds", target)
    return target


@pytest.fixture
def outlet_server(feed_dir: Path) -> Iterator[OutletServer]:
    with serve(feed_dir) as server:
        yield server


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with fake_telegram(TOKEN) as server:
        yield server
