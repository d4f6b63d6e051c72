"""Nurture: the sales-sequence enrollments of handed-over contacts, one per handover (docs/nurture.md), so a retried
drain never enrolls a contact twice.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.ledger.types import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nurture_enrollments",
        sa.Column("handover_key", sa.String(128), nullable=False),
        sa.Column("contact_id", sa.String(32), nullable=False),
        sa.Column("sequence_id", sa.String(32), nullable=False),
        sa.Column("enrollment_id", sa.String(32), nullable=False),
        sa.Column("enrolled_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("handover_key", name=op.f("pk_nurture_enrollments")),
    )


def downgrade() -> None:
    op.drop_table("nurture_enrollments")
