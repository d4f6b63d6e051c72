"""The SLA watch: each handover's clock (target, when the current owner's clock started, due time, reassignments,
earlier owners, what was last written to the contact) and its steps, each fired at most once.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.ledger.types import Identity64, UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handovers") as batch:
        batch.add_column(sa.Column("sla_target", sa.String(64), nullable=True))
        batch.add_column(sa.Column("sla_clock_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("sla_due_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("reassignments", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("earlier_owners", sa.Text(), nullable=True))
        batch.add_column(sa.Column("reassigned_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("sla_written", sa.String(96), nullable=True))
    op.create_table(
        "sla_steps",
        sa.Column("id", Identity64, primary_key=True, autoincrement=True),
        sa.Column("handover_key", sa.String(128), nullable=False),
        sa.Column("step", sa.String(48), nullable=False),
        sa.Column("owner_id", sa.String(32), nullable=True),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("fired_at", UTCDateTime(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sla_steps"),
        sa.UniqueConstraint("handover_key", "step", name="uq_sla_steps_handover_step"),
    )
    op.create_index("ix_sla_steps_due", "sla_steps", ["fired_at", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_sla_steps_due", table_name="sla_steps")
    op.drop_table("sla_steps")
    with op.batch_alter_table("handovers") as batch:
        for column in (
            "sla_written",
            "reassigned_reason",
            "earlier_owners",
            "reassignments",
            "sla_due_at",
            "sla_clock_at",
            "sla_target",
        ):
            batch.drop_column(column)
