"""History for KPIs and calibration: each transition keeps the assessment that caused it, its cause and when the
buyer acted; `score_changes` keeps one compact row per score change written to HubSpot.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.ledger.types import Identity64, UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TRANSITION_COLUMNS = ("fit", "engagement", "score", "grade", "cause", "signal_at")


def upgrade() -> None:
    with op.batch_alter_table("transitions") as batch:
        batch.add_column(sa.Column("fit", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("engagement", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("score", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("grade", sa.String(16), nullable=True))
        batch.add_column(sa.Column("cause", sa.String(16), nullable=True))
        batch.add_column(sa.Column("signal_at", UTCDateTime(), nullable=True))
    op.create_table(
        "score_changes",
        sa.Column("id", Identity64, primary_key=True, autoincrement=True),
        sa.Column("contact_id", sa.String(32), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("fit", sa.Integer(), nullable=False),
        sa.Column("engagement", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(64), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(16), nullable=False),
        sa.Column("signal_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_score_changes"),
    )
    op.create_index("ix_score_changes_contact", "score_changes", ["contact_id", "at"])
    op.create_index("ix_score_changes_at", "score_changes", ["at"])


def downgrade() -> None:
    op.drop_index("ix_score_changes_at", table_name="score_changes")
    op.drop_index("ix_score_changes_contact", table_name="score_changes")
    op.drop_table("score_changes")
    with op.batch_alter_table("transitions") as batch:
        for name in reversed(TRANSITION_COLUMNS):
            batch.drop_column(name)
