"""The end of a handover (when, why, when Leadflow closed its HubSpot work), a rejection's feedback issue, and the
marketing-ops data tasks of blocked handovers.

Existing rows: a recycled handover ended when sales rejected it, one whose deal was won or lost when the deal
closed; `closed_at` stays empty, so the drain's close-out completes the tasks those handovers left open.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.ledger.types import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handovers") as batch:
        batch.add_column(sa.Column("ended_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("end_reason", sa.String(16), nullable=True))
        batch.add_column(sa.Column("closed_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("feedback_issue", sa.String(16), nullable=True))
        batch.create_index("ix_handovers_closing", ["closed_at", "ended_at"])
    op.create_table(
        "handover_data_tasks",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("contact_id", sa.String(32), nullable=False),
        sa.Column("task_id", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_handover_data_tasks")),
    )
    op.create_index(op.f("ix_handover_data_tasks_contact_id"), "handover_data_tasks", ["contact_id"])
    op.execute(
        "UPDATE handovers SET ended_at = COALESCE(outcome_at, done_at, assigned_at), end_reason = 'rejected' "
        "WHERE status = 'recycled' AND ended_at IS NULL"
    )
    op.execute(
        "UPDATE handovers SET ended_at = deal_outcome_at, end_reason = deal_outcome "
        "WHERE deal_outcome IN ('won', 'lost') AND deal_outcome_at IS NOT NULL AND ended_at IS NULL"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_handover_data_tasks_contact_id"), table_name="handover_data_tasks")
    op.drop_table("handover_data_tasks")
    with op.batch_alter_table("handovers") as batch:
        batch.drop_index("ix_handovers_closing")
        batch.drop_column("feedback_issue")
        batch.drop_column("closed_at")
        batch.drop_column("end_reason")
        batch.drop_column("ended_at")
