"""Alembic environment: trialwatch runs migrations itself (`storage.db.migrate`)."""

from alembic import context
from sqlmodel import SQLModel

from storage import models  # noqa: F401  (registers the tables)
from storage.search import INDEX_TABLES


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Autogenerate leaves the full-text index alone: it is not a SQLModel table."""
    return not (type_ == "table" and name is not None and name.startswith(INDEX_TABLES))


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    include_name=include_name,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
)
with context.begin_transaction():
    context.run_migrations()
