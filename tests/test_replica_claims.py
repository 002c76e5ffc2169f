"""A replica's poll claims its outlet: one replica at a time polls it, a claim left by
a replica that died runs out after the lease, and a long poll keeps its claim."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.services import sync_outlets
from core.records import OutletConfig
from storage import replicas
from storage.db import init_db, make_engine

NOW = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


@pytest.fixture
def store(database_url: str) -> Iterator[Engine]:
    if not database_url.startswith("postgresql"):
        pytest.skip("replica mode runs on PostgreSQL (row locks)")
    engine = make_engine(database_url)
    init_db(engine)
    config = OutletConfig("steppe", "Steppe Courier", "https://steppe.test/rss", "en")
    sync_outlets(engine, [config], timedelta(minutes=5), NOW - timedelta(hours=1))
    yield engine
    engine.dispose()


def test_one_claim_at_a_time_until_the_lease_runs_out(store: Engine) -> None:
    """Eight replicas claiming the due outlet at once: one gets it. The claim holds for
    the lease, or as long as it is renewed; then the outlet is due again."""
    with ThreadPoolExecutor(8) as pool:
        claims = list(
            pool.map(lambda _: replicas.claim_if_due(store, "steppe", NOW, NOW + LEASE), range(8))
        )
    won = [c for c in claims if c is not None]
    assert len(won) == 1 and won[0].id == "steppe"
    assert replicas.claim_if_due(store, "steppe", NOW + LEASE / 2, NOW + LEASE * 1.5) is None
    replicas.extend_claim(store, "steppe", NOW + LEASE * 2)  # the poll is still running
    assert replicas.claim_if_due(store, "steppe", NOW + LEASE, NOW + LEASE * 2) is None
    # its replica died: nobody renews, the claim runs out
    later = NOW + LEASE * 2
    assert replicas.claim_if_due(store, "steppe", later, later + LEASE) is not None
    assert replicas.claim_if_due(store, "unknown", later, later + LEASE) is None
