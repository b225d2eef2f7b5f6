"""warc_file: each run's WARC, pending until renamed into place, then published

Revision ID: 0009_warc_files
Revises: 0008_lease_owners
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_warc_files"
down_revision = "0008_lease_owners"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "warc_file",
        sa.Column("id", Id, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warc_file")),
        sa.UniqueConstraint("name", name=op.f("uq_warc_file_name")),
    )
    # WARCs published before this revision: every one named by a capture.
    op.execute(
        "INSERT INTO warc_file (name, state, records, created_at, published_at) "
        "SELECT warc_file, 'published', COUNT(*), MIN(fetched_at), MIN(fetched_at) "
        "FROM capture WHERE warc_file IS NOT NULL GROUP BY warc_file"
    )


def downgrade() -> None:
    op.drop_table("warc_file")
