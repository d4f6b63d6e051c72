"""Nurture: every step offered to a contact, once (a unique contact and step), when it was offered, completed (the
step's `completed_by` engagement) and converted (the contact became an MQL after it) — the data of nurture's
effectiveness (docs/nurture.md).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.ledger.types import Identity64, UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nurture_steps",
        sa.Column("id", Identity64, primary_key=True, autoincrement=True),
        sa.Column("contact_id", sa.String(32), nullable=False),
        sa.Column("track", sa.String(64), nullable=False),
        sa.Column("step", sa.String(128), nullable=False),
        sa.Column("offered_at", UTCDateTime(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("converted_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nurture_steps")),
        sa.UniqueConstraint("contact_id", "step", name="uq_nurture_steps_offer"),
    )


def downgrade() -> None:
    op.drop_table("nurture_steps")
