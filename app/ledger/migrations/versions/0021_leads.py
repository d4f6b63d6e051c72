"""Leads: the HubSpot Lead of each handover's cycle (`handovers.lead_id`, and `lead_changed_at`, when sales last
changed its stage or disqualification reason: the drain reads only such Leads), and the portal's lead pipeline as
`leadflow setup` resolved it, one row per stage with what it means to Leadflow (docs/handover.md, "Leads").

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.ledger.types import UTCDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handovers") as batch:
        batch.add_column(sa.Column("lead_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("lead_changed_at", UTCDateTime(), nullable=True))
        batch.create_index(op.f("ix_handovers_lead_id"), ["lead_id"])
    op.create_table(
        "lead_stages",
        sa.Column("stage_id", sa.String(64), nullable=False),
        sa.Column("pipeline_id", sa.String(64), nullable=False),
        sa.Column("label", sa.String(256), nullable=False),
        sa.Column("meaning", sa.String(16), nullable=False),
        sa.Column("refreshed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("stage_id", name=op.f("pk_lead_stages")),
    )


def downgrade() -> None:
    op.drop_table("lead_stages")
    with op.batch_alter_table("handovers") as batch:
        batch.drop_index(op.f("ix_handovers_lead_id"))
        batch.drop_column("lead_changed_at")
        batch.drop_column("lead_id")
