"""Engine and schema. No module-level engine: `bot.app` builds one from settings."""

import re
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import create_engine

from storage import models  # noqa: F401  (registers the tables)
from storage.errors import wrap_errors


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


def make_engine(url: str) -> Engine:
    """An engine for `url`; for SQLite, create the folder and use WAL."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


MIGRATIONS = Path(__file__).parent / "migrations"
FIRST_REVISION = "0001"


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@wrap_errors
def init_db(engine: Engine) -> None:
    """Bring the schema up to date, keeping every row (Alembic migrations)."""
    with engine.begin() as connection:
        config = alembic_config(connection)
        tables = inspect(connection)
        if tables.has_table("outlet") and not tables.has_table("alembic_version"):
            command.stamp(config, FIRST_REVISION)  # made by trialwatch before migrations
        command.upgrade(config, "head")
