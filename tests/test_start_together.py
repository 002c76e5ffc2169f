"""Replicas started together on one fresh PostgreSQL database: one migrates, syncs the
outlets and records the monitor start, the others wait for it, none fails (issue 14:
concurrent Alembic runs, outlet inserts and heartbeat inserts died on unique violations)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

MIGRATE_AND_SYNC = """
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from bot.config import load_config
from storage.db import init_db, make_engine
from bot.services import sync_outlets
from storage.monitor import monitor_started
engine = make_engine(sys.argv[1])
init_db(engine)
outlets = load_config(Path(sys.argv[2])).outlets
sync_outlets(engine, outlets, timedelta(minutes=15), datetime.now(UTC))
monitor_started(engine, datetime.now(UTC), timedelta(minutes=15))
"""

FEEDS = "feeds:\n" + "".join(
    f"  - {{id: o{n}, name: Outlet {n}, url: 'http://127.0.0.1:9/o{n}.xml', lang: en}}\n"
    for n in range(20)
)


def test_processes_migrating_one_fresh_database_at_once_all_succeed(
    database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite is the single-process default; replicas need PostgreSQL")
    config = tmp_path / "config"
    config.mkdir()
    (config / "feeds.yaml").write_text(FEEDS, encoding="utf-8")
    (config / "watchlist.yaml").write_text("keywords:\n  - {id: v, terms: [verdict]}\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE_AND_SYNC, database_url, str(config)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(5)
    ]
    outputs = [p.communicate(timeout=60)[0].decode() for p in processes]
    failed = [out for p, out in zip(processes, outputs, strict=True) if p.returncode != 0]
    assert not failed, failed[0]
