"""Handovers: transitions, handovers (one per contact, stage and cycle), routing cursors; recycling.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.ledger.types import Identity64, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transitions",
        sa.Column("id", Identity64, primary_key=True, autoincrement=True),
        sa.Column("contact_id", sa.String(32), nullable=False),
        sa.Column("from_stage", sa.String(64), nullable=True),
        sa.Column("to_stage", sa.String(64), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_transitions"),
    )
    op.create_index("ix_transitions_contact", "transitions", ["contact_id", "at"])
    op.create_table(
        "handovers",
        sa.Column("id", Identity64, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("contact_id", sa.String(32), nullable=False),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner_id", sa.String(32), nullable=True),
        sa.Column("routing_strategy", sa.String(64), nullable=False),
        sa.Column("routing_reason", sa.Text(), nullable=False),
        sa.Column("task_id", sa.String(32), nullable=True),
        sa.Column("deal_id", sa.String(32), nullable=True),
        sa.Column("assigned_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("first_response_at", UTCDateTime(), nullable=True),
        sa.Column("task_completed_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("outcome_reason", sa.String(128), nullable=True),
        sa.Column("outcome_at", UTCDateTime(), nullable=True),
        sa.Column("deal_outcome", sa.String(16), nullable=True),
        sa.Column("deal_outcome_at", UTCDateTime(), nullable=True),
        sa.Column("notified_at", UTCDateTime(), nullable=True),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_handovers"),
        sa.UniqueConstraint("key", name="uq_handovers_key"),
        sa.UniqueConstraint("contact_id", "stage", "cycle", name="uq_handovers_contact_stage_cycle"),
    )
    op.create_index("ix_handovers_contact", "handovers", ["contact_id", "cycle"])
    op.create_index("ix_handovers_owner_id", "handovers", ["owner_id"])
    op.create_index("ix_handovers_task_id", "handovers", ["task_id"])
    op.create_index("ix_handovers_deal_id", "handovers", ["deal_id"])
    op.create_table(
        "routing_cursors",
        sa.Column("pool", sa.String(128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pool", name="pk_routing_cursors"),
    )
    op.bulk_insert(
        sa.table("routing_cursors", sa.column("pool"), sa.column("position")), [{"pool": "__lock__", "position": 0}]
    )
    with op.batch_alter_table("contact_state") as batch:
        batch.add_column(sa.Column("recycled_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact_state") as batch:
        batch.drop_column("recycled_at")
    op.drop_table("routing_cursors")
    for index in ("ix_handovers_deal_id", "ix_handovers_task_id", "ix_handovers_owner_id", "ix_handovers_contact"):
        op.drop_index(index, table_name="handovers")
    op.drop_table("handovers")
    op.drop_index("ix_transitions_contact", table_name="transitions")
    op.drop_table("transitions")
