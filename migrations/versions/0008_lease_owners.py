"""who holds check leases: an owner per run (pid, host, heartbeat), named on each leased row

Revision ID: 0008_lease_owners
Revises: 0007_tweet_evidence
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_lease_owners"
down_revision = "0007_tweet_evidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lease_owner",
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token", name="pk_lease_owner"),
    )
    for table in ("link", "tweet"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("lease_owner", sa.String(length=32), nullable=True))
            batch.create_index(f"ix_{table}_lease_owner", ["lease_owner"])


def downgrade() -> None:
    for table in ("tweet", "link"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_lease_owner")
            batch.drop_column("lease_owner")
    op.drop_table("lease_owner")
