"""tweet hashtags, mentions, expanded URLs and the service's own words

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tweet") as batch:
        batch.add_column(sa.Column("hashtags", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("mentions", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("urls", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("detail", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tweet") as batch:
        batch.drop_column("detail")
        batch.drop_column("urls")
        batch.drop_column("mentions")
        batch.drop_column("hashtags")
