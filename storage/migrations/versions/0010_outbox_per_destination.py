"""outbox: one row per (article, destination)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 09:30:00

Every existing row, queued or sent, belongs to the one chat trialwatch knew
until now: the destination `default` (TRIALWATCH_TELEGRAM_CHAT).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's unique constraint from 0001 has no name: batch mode names it by this convention.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _article_unique_name() -> str:
    for constraint in sa.inspect(op.get_bind()).get_unique_constraints("delivery"):
        if constraint["column_names"] == ["article_id"] and constraint["name"]:
            return str(constraint["name"])
    return "uq_delivery_article_id"


def upgrade() -> None:
    old_unique = _article_unique_name()
    with op.batch_alter_table("delivery", naming_convention=NAMING) as batch_op:
        batch_op.add_column(
            sa.Column("destination", sa.String(), server_default="default", nullable=False)
        )
        batch_op.drop_constraint(old_unique, type_="unique")
        batch_op.create_unique_constraint(
            "uq_delivery_article_destination", ["article_id", "destination"]
        )
        batch_op.create_index("ix_delivery_destination", ["destination", "sent_at"])


def downgrade() -> None:
    # Going back to one chat keeps the rows of `default` only.
    op.execute("DELETE FROM delivery WHERE destination <> 'default'")
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_index("ix_delivery_destination")
        batch_op.drop_constraint("uq_delivery_article_destination", type_="unique")
        batch_op.create_unique_constraint("uq_delivery_article_id", ["article_id"])
        batch_op.drop_column("destination")
