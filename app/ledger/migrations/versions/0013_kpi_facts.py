"""What the KPI facts need that the ledger did not keep: when HubSpot created each contact
(`contact_state.created_at`, its `createdate`) and each handover's first response deadline
(`handovers.first_due_at`; a reassignment moves `due_at` to the new owner's).

Existing rows: a handover never reassigned keeps its due time as its first; a reassigned one's first deadline is not
known any more (left empty: it is not counted in the SLA-met rate). Contacts get their creation time at their next
assessment.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.ledger.types import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contact_state") as batch:
        batch.add_column(sa.Column("created_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("handovers") as batch:
        batch.add_column(sa.Column("first_due_at", UTCDateTime(), nullable=True))
    op.execute("UPDATE handovers SET first_due_at = due_at WHERE reassignments = 0")


def downgrade() -> None:
    with op.batch_alter_table("handovers") as batch:
        batch.drop_column("first_due_at")
    with op.batch_alter_table("contact_state") as batch:
        batch.drop_column("created_at")
