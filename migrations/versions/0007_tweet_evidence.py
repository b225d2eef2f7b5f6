"""tweet evidence: what each service said, and the Wayback capture that showed it

Revision ID: 0007_tweet_evidence
Revises: 0006_link_resolve_error
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_tweet_evidence"
down_revision = "0006_link_resolve_error"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tweet") as batch:
        batch.add_column(sa.Column("evidence", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tweet") as batch:
        batch.drop_column("evidence")
