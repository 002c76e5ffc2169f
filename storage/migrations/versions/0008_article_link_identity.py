"""article.url_key: an article's link identity, beside its key

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 10:40:00

An article is known by its key (guid within the outlet, else link and title) or by
its link (feeds.identity). The link identity of every article already stored is
computed here, so that nothing stored before is taken for new after the upgrade.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.links import url_key

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("url_key", sa.Text(), nullable=True))
        batch_op.create_index("ix_article_url_key", ["url_key"])
    article = sa.table(
        "article", sa.column("id", sa.Integer), sa.column("url", sa.Text), sa.column("url_key")
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(article.c.id, article.c.url)).all()
    for i in range(0, len(rows), _BATCH):
        keys = [
            {"row_id": row_id, "key": url_key(url)}
            for row_id, url in rows[i : i + _BATCH]
            if url and url_key(url)
        ]
        if keys:
            connection.execute(
                article.update()
                .where(article.c.id == sa.bindparam("row_id"))
                .values(url_key=sa.bindparam("key")),
                keys,
            )


def downgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index("ix_article_url_key")
        batch_op.drop_column("url_key")
