"""Backtests: each `leadflow backtest` run, with its window, the two models, the headline figures, the verdict and
the printed JSON object, per-contact lists cut (docs/calibration.md, "Recorded"); the last 50 are kept.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.ledger.types import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backtests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ran_at", UTCDateTime(), nullable=False),
        sa.Column("ran_by", sa.String(256), nullable=True),
        sa.Column("window_from", UTCDateTime(), nullable=True),
        sa.Column("window_to", UTCDateTime(), nullable=False),
        sa.Column("as_of", UTCDateTime(), nullable=False),
        sa.Column("mature_days", sa.Integer(), nullable=False),
        sa.Column("current_model", sa.String(128), nullable=False),
        sa.Column("candidate_model", sa.String(128), nullable=False),
        sa.Column("candidate_path", sa.String(1024), nullable=False),
        sa.Column("candidate_hash", sa.String(64), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.Column("current_mqls", sa.Integer(), nullable=False),
        sa.Column("candidate_mqls", sa.Integer(), nullable=False),
        sa.Column("current_sqls", sa.Integer(), nullable=False),
        sa.Column("candidate_sqls", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backtests")),
    )
    op.create_index(op.f("ix_backtests_ran_at"), "backtests", ["ran_at"])
    op.create_index(op.f("ix_backtests_candidate_model"), "backtests", ["candidate_model"])


def downgrade() -> None:
    op.drop_index(op.f("ix_backtests_candidate_model"), table_name="backtests")
    op.drop_index(op.f("ix_backtests_ran_at"), table_name="backtests")
    op.drop_table("backtests")
