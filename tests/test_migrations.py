"""Upgrading keeps the user's database: migrations run on start, rows survive."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from bot.cli import main
from bot.health import Verdict, judge
from bot.research.search import search
from core.records import Counts, HeartbeatRecord
from storage import articles, monitor, outbox
from storage.db import alembic_config, init_db, make_engine

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def make_old_database(engine: Engine, *, stamped: bool) -> None:
    """The schema trialwatch 0.1 created (revision 0001), with a few rows in it."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")
        if not stamped:  # 0.1 created tables without Alembic
            connection.execute(text("DROP TABLE alembic_version"))
        connection.execute(
            text(
                "INSERT INTO outlet (id, name, config_url, url, lang, every_seconds, active, "
                "failures) VALUES ('a', 'A', 'https://a/rss', 'https://a/rss', 'en', 900, true, 0)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO article (key, outlet_id, url, title, text, lang, seen_at) "
                "VALUES ('https://a/1', 'a', 'https://a/1', 'T', 'B', 'en', :now)"
            ),
            {"now": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO delivery (article_id, urgent, created_at, attempts) "
                "SELECT id, false, :now, 0 FROM article"
            ),
            {"now": NOW},
        )


@pytest.mark.parametrize("stamped", [False, True], ids=["pre-alembic 0.1", "revision 0001"])
def test_upgrade_keeps_rows(engine: Engine, stamped: bool) -> None:
    """A database from the previous release is migrated in place; nothing is lost."""
    make_old_database(engine, stamped=stamped)
    init_db(engine)
    init_db(engine)  # idempotent: a second start changes nothing
    assert articles.counts(engine) == Counts(articles=1, matches=0, deliveries=1, sent=0)
    assert inspect(engine).has_table("heartbeat")
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        head = ScriptDirectory.from_config(alembic_config(connection)).get_current_head()
    assert version == head == "0011"


def test_fresh_database_gets_the_whole_schema(engine: Engine) -> None:
    """A new database is created at the latest revision."""
    init_db(engine)
    assert {"outlet", "article", "match", "delivery", "heartbeat"} <= set(
        inspect(engine).get_table_names()
    )


def test_health_follows_the_heartbeat(engine: Engine) -> None:
    """Healthy while cycles finish within three poll intervals; unhealthy after."""
    init_db(engine)
    assert judge(monitor.heartbeat(engine), NOW).healthy is False
    monitor.monitor_started(engine, NOW, timedelta(minutes=15))
    assert judge(monitor.heartbeat(engine), NOW + timedelta(minutes=5)) == Verdict(
        True,
        "healthy: started 5m ago, first cycle running",
    )
    assert judge(monitor.heartbeat(engine), NOW + timedelta(hours=1)).healthy is False
    monitor.cycle_finished(engine, NOW + timedelta(minutes=50))
    assert judge(monitor.heartbeat(engine), NOW + timedelta(minutes=60)).healthy is True
    verdict = judge(monitor.heartbeat(engine), NOW + timedelta(hours=2))
    assert not verdict.healthy and verdict.reason.startswith(
        "unhealthy: last poll cycle finished 70m ago"
    )


def test_judge_without_heartbeat() -> None:
    """A database no monitor ever ran on is reported as such."""
    assert judge(None, NOW) == Verdict(
        False,
        "unhealthy: no `trialwatch run` has started on this database",
    )
    record = HeartbeatRecord(NOW, NOW, timedelta(seconds=30))
    assert judge(record, NOW + timedelta(seconds=60)).healthy


def test_check_and_health_commands(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`check` validates config and migrates (no network); `health` says why it fails."""
    from tests.test_config import REPO

    monkeypatch.setenv("TRIALWATCH_CONFIG_DIR", str(REPO / "config"))
    monkeypatch.setenv("TRIALWATCH_DATABASE_URL", database_url)
    assert main(["check"]) == 0
    assert "database ok" in capsys.readouterr().out
    assert main(["health"]) == 1
    assert "no `trialwatch run` has started" in capsys.readouterr().out


def test_upgrade_indexes_articles_already_stored(engine: Engine) -> None:
    """Migration 0004 builds the full-text index for the rows a database already has."""
    make_old_database(engine, stamped=True)
    init_db(engine)
    [hit] = search(engine, "t")
    assert hit.article.url == "https://a/1"


def test_single_chat_queue_moves_to_the_default_destination(engine: Engine) -> None:
    """Rows queued for the one chat of a single-chat database (revision 0004) stay queued,
    now for the destination `default`; each other destination gets its own row for the
    same article, and a second row for the same (article, destination) is refused."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0009")
        connection.execute(
            text(
                "INSERT INTO outlet (id, name, config_url, url, lang, every_seconds, active, "
                "failures) VALUES ('a', 'A', 'https://a/rss', 'https://a/rss', 'en', 900, true, 0)"
            )
        )
        for n in (1, 2, 3):
            connection.execute(
                text(
                    "INSERT INTO article (key, outlet_id, url, title, text, lang, seen_at) "
                    "VALUES (:url, 'a', :url, :title, 'B', 'en', :now)"
                ),
                {"url": f"https://a/{n}", "title": f"T{n}", "now": NOW},
            )
        connection.execute(
            text(
                "INSERT INTO delivery (article_id, urgent, created_at, attempts, sent_at) "
                "SELECT id, title = 'T1', :now, 0, CASE WHEN title = 'T3' THEN :now END "
                "FROM article"
            ),
            {"now": NOW},
        )
    init_db(engine)
    assert [i.title for i in outbox.pending(engine, urgent=True)] == ["T1"]
    assert [i.title for i in outbox.pending(engine, urgent=False)] == ["T2"]
    assert articles.counts(engine).sent == 1
    insert_row = text(
        "INSERT INTO delivery (article_id, destination, urgent, created_at, attempts) "
        "SELECT id, 'desk', false, :now, 0 FROM article WHERE title = 'T3'"
    )
    with engine.begin() as connection:
        connection.execute(insert_row, {"now": NOW})
    assert [i.title for i in outbox.pending(engine, urgent=False, destination="desk")] == ["T3"]
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert_row, {"now": NOW})


def test_untold_changes_become_notices_for_each_destination(engine: Engine) -> None:
    """Migration 0011: a change the channel was not yet told of (revision 0010) becomes one
    queued notice per destination its article was queued for; one already told, none."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0010")
        connection.execute(
            text(
                "INSERT INTO outlet (id, name, config_url, url, lang, every_seconds, active, "
                "failures) VALUES ('a', 'A', 'https://a/rss', 'https://a/rss', 'en', 900, true, 0)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO article (key, outlet_id, url, title, text, lang, seen_at) "
                "VALUES ('https://a/1', 'a', 'https://a/1', 'T', 'B', 'en', :now)"
            ),
            {"now": NOW},
        )
        for destination in ("default", "desk"):
            connection.execute(
                text(
                    "INSERT INTO delivery (article_id, destination, urgent, created_at, attempts, "
                    "sent_at) SELECT id, :d, true, :now, 1, :now FROM article"
                ),
                {"d": destination, "now": NOW},
            )
        for status, told in (("changed", None), ("gone", NOW)):
            connection.execute(
                text(
                    "INSERT INTO snapshot (article_id, taken_at, source, stage, status, notable, "
                    "told_at) SELECT id, :now, 'page', 1, :status, true, :told FROM article"
                ),
                {"now": NOW, "status": status, "told": told},
            )
    init_db(engine)
    with engine.connect() as connection:
        queued = connection.execute(
            text(
                "SELECT s.status, n.destination FROM notice n JOIN snapshot s "
                "ON s.id = n.snapshot_id WHERE n.sent_at IS NULL ORDER BY n.destination"
            )
        ).all()
        kept = connection.execute(text("SELECT message_id FROM delivery")).all()
    assert [tuple(r) for r in queued] == [("changed", "default"), ("changed", "desk")]
    assert [tuple(r) for r in kept] == [(None,), (None,)]  # sent before ids were kept
