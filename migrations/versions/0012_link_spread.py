"""link spread: an index on the order `check` claims links in (a bijection of the
id that spreads a batch over hosts), so that a claim reads one batch from a
cursor instead of sorting every due link in random order

Revision ID: 0012_link_spread
Revises: 0011_evidence
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_link_spread"
down_revision = "0011_evidence"
branch_labels = None
depends_on = None

# archiver/store/models.py link_spread(), spelled out: a migration must not change
# when the models do.
SPREAD = "(id % 4294967291 * 1640531527 % 4294967291)"


def upgrade() -> None:
    op.create_index("ix_link_spread", "link", [sa.text(SPREAD), "id"])


def downgrade() -> None:
    op.drop_index("ix_link_spread", table_name="link")
