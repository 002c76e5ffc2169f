"""Alembic environment: trialwatch runs migrations itself (`storage.db.migrate`)."""

from alembic import context
from sqlmodel import SQLModel

from storage import models  # noqa: F401  (registers the tables)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
)
with context.begin_transaction():
    context.run_migrations()
