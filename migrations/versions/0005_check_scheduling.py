"""rot-check scheduling: streaks, failing since, Wayback URL, tweet check times

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("link") as batch:
        batch.add_column(sa.Column("check_streak", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("wayback_url", sa.Text(), nullable=True))
    with op.batch_alter_table("tweet") as batch:
        batch.add_column(sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("check_streak", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tweet") as batch:
        batch.drop_column("failing_since")
        batch.drop_column("check_streak")
        batch.drop_column("last_checked_at")
    with op.batch_alter_table("link") as batch:
        batch.drop_column("wayback_url")
        batch.drop_column("failing_since")
        batch.drop_column("check_streak")
