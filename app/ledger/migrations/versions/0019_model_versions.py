"""Model versions: each scoring model published (`leadflow model publish`), with its content's hash, its text, the
diff against the version before it, where it came from and the re-score run it started (docs/scoring-model.md).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.ledger.types import UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.String(128), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.Column("source", sa.String(1024), nullable=False),
        sa.Column("rescore_run", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_model_versions_version")),
    )


def downgrade() -> None:
    op.drop_table("model_versions")
