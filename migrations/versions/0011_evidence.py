"""evidence: RFC 3161 time-stamp tokens, and the provenance of captures and runs

Revision ID: 0011_evidence
Revises: 0010_job_queue
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_evidence"
down_revision = "0010_job_queue"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "timestamp_token",
        sa.Column("id", Id, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(1024), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("authority", sa.Text(), nullable=False),
        sa.Column("token", sa.LargeBinary(), nullable=False),
        sa.Column("gen_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timestamp_token")),
    )
    op.create_index(op.f("ix_timestamp_token_name"), "timestamp_token", ["name"])
    with op.batch_alter_table("capture") as batch:
        batch.add_column(sa.Column("provenance", sa.JSON(), nullable=True))
    with op.batch_alter_table("warc_file") as batch:
        batch.add_column(sa.Column("provenance", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("warc_file") as batch:
        batch.drop_column("provenance")
    with op.batch_alter_table("capture") as batch:
        batch.drop_column("provenance")
    op.drop_index(op.f("ix_timestamp_token_name"), table_name="timestamp_token")
    op.drop_table("timestamp_token")
