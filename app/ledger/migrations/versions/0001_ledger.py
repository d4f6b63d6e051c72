"""The ledger: signals, engagements, contact state and property types.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.ledger.types import Identity64, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signals",
        sa.Column("id", Identity64, primary_key=True, autoincrement=True),
        sa.Column("dedupe_key", sa.String(64), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("subscription_type", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("object_type", sa.String(32), nullable=False),
        sa.Column("object_id", sa.String(32), nullable=False),
        sa.Column("contact_id", sa.String(32), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_signals"),
        sa.UniqueConstraint("dedupe_key", name="uq_signals_dedupe_key"),
    )
    op.create_index("ix_signals_pending", "signals", ["processed_at", "received_at"])
    op.create_index("ix_signals_contact", "signals", ["contact_id", "id"])

    op.create_table(
        "engagements",
        sa.Column("id", Identity64, primary_key=True, autoincrement=True),
        sa.Column("contact_id", sa.String(32), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("source_key", sa.String(96), nullable=False),
        sa.Column("signal_id", Identity64, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_engagements"),
        sa.UniqueConstraint("contact_id", "type", "source_key", name="uq_engagements_occurrence"),
        sa.ForeignKeyConstraint(
            ["signal_id"], ["signals.id"], name="fk_engagements_signal_id_signals", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_engagements_contact", "engagements", ["contact_id", "occurred_at"])

    op.create_table(
        "contact_state",
        sa.Column("contact_id", sa.String(32), nullable=False),
        sa.Column("company_id", sa.String(32), nullable=True),
        sa.Column("fit", sa.Integer(), nullable=False),
        sa.Column("engagement", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(64), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("qualification_cycle", sa.Integer(), nullable=False),
        sa.Column("assessed_at", UTCDateTime(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("contact_id", name="pk_contact_state"),
    )
    op.create_index("ix_contact_state_company_id", "contact_state", ["company_id"])

    op.create_table(
        "property_types",
        sa.Column("object_type", sa.String(32), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("refreshed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("object_type", "name", name="pk_property_types"),
    )


def downgrade() -> None:
    op.drop_table("property_types")
    op.drop_index("ix_contact_state_company_id", table_name="contact_state")
    op.drop_table("contact_state")
    op.drop_index("ix_engagements_contact", table_name="engagements")
    op.drop_table("engagements")
    op.drop_index("ix_signals_contact", table_name="signals")
    op.drop_index("ix_signals_pending", table_name="signals")
    op.drop_table("signals")
