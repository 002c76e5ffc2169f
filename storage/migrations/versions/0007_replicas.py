"""replicas: the task queue, replica heartbeats, digest runs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 09:45:00

On PostgreSQL this installs procrastinate's schema (its `schema.sql`, for the
version pinned in pyproject.toml) when it is not there yet; a procrastinate
upgrade that brings SQL migrations gets an Alembic revision applying them.
SQLite gets only the two small tables: it runs no replicas.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "replica",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tasks_done", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "digest_run",
        sa.Column("destination", sa.String(), primary_key=True),
        sa.Column("slot", sa.String(), primary_key=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent", sa.Integer(), nullable=False, server_default="0"),
    )
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if bind.execute(sa.text("SELECT to_regclass('procrastinate_jobs')")).scalar() is None:
        from procrastinate.schema import SchemaManager

        # The driver's own cursor: the SQL holds `%` and `:` that no layer may rewrite.
        cursor = bind.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(SchemaManager.get_schema())


def downgrade() -> None:
    op.drop_table("digest_run")
    op.drop_table("replica")
