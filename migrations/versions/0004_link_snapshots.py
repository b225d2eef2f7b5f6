"""the copy of each outbound link kept at archive time

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("link") as batch:
        batch.add_column(sa.Column("snapshot_capture_id", Id, nullable=True))
        batch.add_column(sa.Column("snapshot_text_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("snapshot_error", sa.Text(), nullable=True))
        batch.create_foreign_key("fk_link_snapshot_capture_id_capture", "capture",
                                 ["snapshot_capture_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("link") as batch:
        batch.drop_constraint("fk_link_snapshot_capture_id_capture", type_="foreignkey")
        batch.drop_column("snapshot_error")
        batch.drop_column("snapshot_text_sha256")
        batch.drop_column("snapshot_capture_id")
