"""Start-up loads only what a start needs: no Telegram library without a token, no
Alembic when the schema is already current, no full-text extractor before a page."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from storage.db import alembic_config, head_revision, init_db, make_engine

REPO = Path(__file__).resolve().parent.parent
# Heavy libraries a console-mode start on a current database does not need.
NOT_AT_START = ["alembic", "procrastinate", "telegram", "trafilatura"]
START = """
import asyncio, gc, json, os, signal, sys
from bot.cli import main  # the entry point's own imports
from bot.app import build_app, run_forever
from bot.settings import load_settings

async def start():
    async with build_app(load_settings()) as app:
        asyncio.get_running_loop().call_later(1, os.kill, os.getpid(), signal.SIGTERM)
        await run_forever(app)

asyncio.run(start())
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[1:]))
print(json.dumps({"loaded": loaded, "frozen": gc.get_freeze_count()}))
"""


def test_head_revision_is_alembics(tmp_path: Path) -> None:
    """The newest migration read from the files is the head Alembic finds."""
    engine = make_engine(f"sqlite:///{tmp_path / 'tw.db'}")
    with engine.connect() as connection:
        head = ScriptDirectory.from_config(alembic_config(connection)).get_current_head()
    engine.dispose()
    assert head_revision() == head


def test_a_database_behind_the_head_is_still_migrated(tmp_path: Path) -> None:
    """The fast path never skips a migration: a database stamped one revision back
    is upgraded by `init_db`."""
    engine = make_engine(f"sqlite:///{tmp_path / 'tw.db'}")
    init_db(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'nope'"))
    with pytest.raises(Exception, match="nope"):  # Alembic was asked, and knows no such revision
        init_db(engine)
    engine.dispose()


def start(tmp_path: Path) -> dict[str, object]:
    """`trialwatch run` for a second, in console mode: the shipped watchlist, one
    outlet on a closed loopback port."""
    config = tmp_path / "config"
    if not config.exists():
        config.mkdir()
        shutil.copy(REPO / "config" / "watchlist.yaml", config)
        (config / "feeds.yaml").write_text(
            "feeds:\n  - {id: a, name: A, url: 'http://127.0.0.1:9/feed.xml', lang: en}\n",
            encoding="utf-8",
        )
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TRIALWATCH_CONFIG_DIR": str(config),
        "TRIALWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'db' / 'tw.db'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", START, *NOT_AT_START],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.slow
def test_console_start_loads_no_heavy_library_it_does_not_use(tmp_path: Path) -> None:
    """The first start migrates (Alembic loaded); a restart on the current schema,
    with no token, loads none of them; `run_forever` freezes what start-up built."""
    assert "alembic" in start(tmp_path)["loaded"]  # type: ignore[operator]
    again = start(tmp_path)
    assert again["loaded"] == []
    assert again["frozen"] > 0  # type: ignore[operator]


@pytest.mark.slow
def test_startup_bench_runs_and_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    """A quick smoke of `python -m bench.startup` (3 outlets, 20 people), so it cannot rot."""
    from bench.startup import main

    table = main(["--runs", "1", "--people", "20", "--feeds", "3", "--items", "2"])
    for row in ("| this | shipped | cold |", "| this | generated | warm |"):
        assert row in table
    assert "RSS MiB after the first cycle" in table
    assert "load average" in capsys.readouterr().out
