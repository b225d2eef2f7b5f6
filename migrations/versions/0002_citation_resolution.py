"""citation resolution state and search candidates

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("citation") as batch:
        batch.add_column(sa.Column("candidates", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("resolve_state", sa.String(length=32), nullable=False,
                                   server_default="pending"))
        batch.add_column(sa.Column("resolve_error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("citation") as batch:
        batch.drop_column("resolve_error")
        batch.drop_column("resolve_state")
        batch.drop_column("candidates")
