"""The SLA's first touch of a handover: when the owner first touched the lead, how, and by whom.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.ledger.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handovers") as batch:
        batch.add_column(sa.Column("first_touch_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("first_touch_kind", sa.String(32), nullable=True))
        batch.add_column(sa.Column("first_touch_by", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handovers") as batch:
        batch.drop_column("first_touch_by")
        batch.drop_column("first_touch_kind")
        batch.drop_column("first_touch_at")
