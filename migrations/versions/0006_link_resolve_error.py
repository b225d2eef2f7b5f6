"""why a short link could not be followed: link.resolve_error and its message

Revision ID: 0006_link_resolve_error
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_link_resolve_error"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("link") as batch:
        batch.add_column(sa.Column("resolve_error", sa.String(32), nullable=True))
        batch.add_column(sa.Column("resolve_error_message", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("link") as batch:
        batch.drop_column("resolve_error_message")
        batch.drop_column("resolve_error")
