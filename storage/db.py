"""Engine and schema. No module-level engine: `bot.app` builds one from settings."""

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Insert, Table, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session
from sqlmodel import create_engine

from storage import models  # noqa: F401  (registers the tables)
from storage.errors import wrap_errors

if TYPE_CHECKING:
    from alembic.config import Config


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (the driver we ship), not psycopg2."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


SUPPORTED = ("sqlite", "postgresql")
EXAMPLES = "sqlite:///data/trialwatch.db or postgresql://user:password@host/dbname"


def database_url_problem(url: str) -> str | None:
    """What is wrong with a database URL for the monitor, or None. Checks the form,
    the backend (SQLite or PostgreSQL), that its driver is installed, and that the
    database keeps its rows (an in-memory SQLite database forgets them at exit)."""
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError:
        return f"{_shown(url)!r} is not a database URL; use {EXAMPLES}"
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED:
        return f"{backend} is not supported; use {EXAMPLES}"
    try:
        parsed.get_dialect().import_dbapi()
    except ImportError:
        return f"the driver {parsed.drivername!r} is not installed; use {EXAMPLES}"
    memory = parsed.database in (None, "", ":memory:") or "mode=memory" in str(parsed)
    if backend == "sqlite" and memory:
        return (
            f"{_shown(url)!r} is an in-memory database: nothing would be kept between runs "
            "(every article would be new again); use sqlite:///data/trialwatch.db"
        )
    return None


def _shown(url: str) -> str:
    """The URL with any password hidden."""
    return re.sub(r":[^:/@]*@", ":***@", url)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL; None for another backend or in-memory."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def make_engine(url: str) -> Engine:
    """An engine for `url`; for SQLite, create the folder and use WAL."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if (database := sqlite_file(url)) is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """WAL: commands and /status read while a cycle writes. synchronous=NORMAL: in WAL
    mode a commit waits for no fsync; it survives a crash of the process, and the
    database stays whole after a power cut, which may undo its last commits (SQLite's
    documented trade-off). foreign_keys: SQLite checks them only when asked."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


MIGRATIONS = Path(__file__).parent / "migrations"
FIRST_REVISION = "0001"


def alembic_config(connection: Connection) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


_REVISION = re.compile(r"^(down_)?revision\b[^=]*=\s*['\"]?([\w]+)", re.MULTILINE)


def head_revision() -> str | None:
    """The newest migration's revision id, read from the files in migrations/versions
    (their `revision` and `down_revision` lines); None unless there is exactly one
    head. The same answer as Alembic's `ScriptDirectory.get_current_head()` (a test
    checks), without importing Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("[0-9]*.py"):
        for down, value in _REVISION.findall(script.read_text(encoding="utf-8")):
            (parents if down else revisions).add(value)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _at_head(connection: Connection) -> bool:
    """The schema is already at the newest migration (the usual restart)."""
    if not inspect(connection).has_table("alembic_version"):
        return False
    stamped = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return stamped == [head_revision()]


# pg_advisory_xact_lock keys: any constant bigint, the same in every trialwatch process.
MIGRATION_LOCK = 0x7477_0001  # "tw" 1
STARTUP_LOCK = 0x7477_0002  # "tw" 2


def serialize(connection: Connection, key: int) -> None:
    """On PostgreSQL, wait for the transaction-scoped advisory lock `key`, so that
    replicas starting together take turns (released at commit or rollback).
    SQLite needs none: it serializes writers itself."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


@wrap_errors
def init_db(engine: Engine) -> None:
    """Bring the schema up to date, keeping every row (Alembic migrations).
    Replicas starting together on one PostgreSQL database migrate one at a time:
    the first upgrades, the others wait for its commit, then find nothing to do."""
    with engine.begin() as connection:
        serialize(connection, MIGRATION_LOCK)
        if _at_head(connection):  # Alembic costs ~0.25 s and ~10 MiB to find nothing to do
            return
        from alembic import command

        config = alembic_config(connection)
        tables = inspect(connection)
        if tables.has_table("outlet") and not tables.has_table("alembic_version"):
            command.stamp(config, FIRST_REVISION)  # made by trialwatch before migrations
        command.upgrade(config, "head")


def insert_new(where: Session | Connection, model: type[Any] | Table) -> Insert:
    """`INSERT … ON CONFLICT DO NOTHING` (PostgreSQL and SQLite) into a model's table
    (or a Core table, for executemany without the ORM), for the database of `where`:
    a row whose unique keys are already stored is skipped, so a retried or concurrent
    insert adds nothing twice and raises no unique violation. RETURNING gives only the
    rows inserted."""
    dialect = where.dialect if isinstance(where, Connection) else where.get_bind().dialect
    if dialect.name == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing()
    return sqlite.insert(model).on_conflict_do_nothing()
