"""Helpers for the real-world input tests: a real database, the real matcher, one cycle."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from bot.cycle import CycleDeps, run_cycle
from bot.services import sync_outlets
from core.records import OutletConfig
from feeds.fetch import make_client
from feeds.records import PollResult
from matchers import compile_watchlist, parse_watchlist
from storage.db import init_db, make_engine

DATA = Path(__file__).parent / "data" / "realworld"
WATCHLIST = parse_watchlist((DATA / "watchlist.yaml").read_text(encoding="utf-8"), "watchlist")
MATCHER = compile_watchlist(WATCHLIST)


def open_db(url: str, outlets: Sequence[OutletConfig], now: datetime) -> Engine:
    engine = make_engine(url)
    init_db(engine)
    sync_outlets(engine, outlets, timedelta(minutes=15), now)
    return engine


async def poll_all(engine: Engine, now: datetime) -> list[PollResult]:
    """One cycle over every active outlet, stored, as `run --once` does."""
    async with make_client(timeout=2.0) as client:
        report = await run_cycle(CycleDeps(engine, client, MATCHER), now, every_outlet=True)
        return list(report.results)
