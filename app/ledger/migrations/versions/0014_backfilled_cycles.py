"""Lead cycles read from HubSpot's property histories for the time before Leadflow (`leadflow kpis --backfill`),
one JSON fact per row, joined with the ledger's own when the KPI facts are built.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.ledger.types import Identity64, UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backfilled_cycles",
        sa.Column("id", Identity64, primary_key=True, autoincrement=True),
        sa.Column("contact_id", sa.String(32), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("fact", sa.Text(), nullable=False),
        sa.Column("backfilled_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backfilled_cycles")),
    )
    op.create_index(op.f("ix_backfilled_cycles_contact_id"), "backfilled_cycles", ["contact_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_backfilled_cycles_contact_id"), table_name="backfilled_cycles")
    op.drop_table("backfilled_cycles")
