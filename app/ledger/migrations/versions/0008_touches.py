"""The SLA's touches: every touch of a contact by sales, and whether it counted as a handover's first touch.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.ledger.types import Identity64, UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "touches",
        sa.Column("id", Identity64, primary_key=True, autoincrement=True),
        sa.Column("contact_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("owner_id", sa.String(32), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("source_key", sa.String(128), nullable=False),
        sa.Column("handover_key", sa.String(128), nullable=True),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_touches"),
        sa.UniqueConstraint("source_key", "contact_id", name="uq_touches_source"),
    )
    op.create_index("ix_touches_contact", "touches", ["contact_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_touches_contact", table_name="touches")
    op.drop_table("touches")
