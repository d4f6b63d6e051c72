"""The open tasks of contacts erased by a privacy deletion, kept (without whose they were) until the `close-work`
job has completed them in HubSpot.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.ledger.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orphaned_tasks",
        sa.Column("task_id", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("queued_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_orphaned_tasks")),
    )


def downgrade() -> None:
    op.drop_table("orphaned_tasks")
