"""delivery.set_aside_at: a message Telegram refuses even reduced is set aside

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 10:20:00

A delivery whose message Telegram refused in every form is no longer pending, so
it cannot hold the queue back; its reason stays in last_error.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("set_aside_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("set_aside_at")
