"""Telegram message ids in the outbox; evidence notices as an outbox of their own;
the feed item's raw XML with the first-sight snapshot

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 13:00:00

A delivery row now keeps where Telegram put its message (chat, topic, message id),
so a later change notice can reply to it. Notable snapshots not yet told become
notice rows for every destination their article was queued for.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.add_column(sa.Column("chat", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("topic", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("snapshot") as batch_op:
        batch_op.add_column(sa.Column("raw", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("raw_sha256", sa.String(), nullable=True))
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("destination", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("set_aside_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("chat", sa.Text(), nullable=True),
        sa.Column("topic", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("reply_to", sa.BigInteger(), nullable=True),
        sa.Column("how", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["snapshot_id"], ["snapshot.id"]),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("snapshot_id", "destination", name="uq_notice_snapshot_destination"),
    )
    op.create_index("ix_notice_destination", "notice", ["destination", "sent_at"])
    op.create_index("ix_notice_article_id", "notice", ["article_id"])
    op.execute(
        "INSERT INTO notice (snapshot_id, article_id, destination, created_at, attempts) "
        "SELECT s.id, s.article_id, d.destination, s.taken_at, 0 FROM snapshot s "
        "JOIN delivery d ON d.article_id = s.article_id "
        "WHERE s.notable AND s.told_at IS NULL ORDER BY s.id"
    )


def downgrade() -> None:
    op.drop_index("ix_notice_article_id", table_name="notice")
    op.drop_index("ix_notice_destination", table_name="notice")
    op.drop_table("notice")
    with op.batch_alter_table("snapshot") as batch_op:
        batch_op.drop_column("raw_sha256")
        batch_op.drop_column("raw")
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_column("message_id")
        batch_op.drop_column("topic")
        batch_op.drop_column("chat")
