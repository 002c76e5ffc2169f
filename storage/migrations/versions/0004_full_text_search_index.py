"""full-text search index of articles

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 09:40:00

SQLite gets an FTS5 table, PostgreSQL a tsvector table with GIN indexes
(storage.search); every article already stored is indexed here.
"""

from collections.abc import Sequence

from alembic import op

from storage.search import create_index, drop_index, rebuild_index

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    connection = op.get_bind()
    create_index(connection)
    rebuild_index(connection)


def downgrade() -> None:
    drop_index(op.get_bind())
