"""Nurture: where each contact stands after its last plan (state, track, next step) and when a waiting step's time
comes (`due_at`, indexed for the `nurture-due` clock job, which reads only the due contacts; docs/nurture.md).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.ledger.types import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nurture_contacts",
        sa.Column("contact_id", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("track", sa.String(64), nullable=True),
        sa.Column("step", sa.String(128), nullable=True),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("planned_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_nurture_contacts")),
    )
    op.create_index("ix_nurture_contacts_due", "nurture_contacts", ["due_at", "contact_id"])


def downgrade() -> None:
    op.drop_index("ix_nurture_contacts_due", table_name="nurture_contacts")
    op.drop_table("nurture_contacts")
