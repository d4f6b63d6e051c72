"""Who made a touch when HubSpot names a user instead of an owner (`touches.user_id`), and the sales team's users
with their owners (`sales_users`), so such a touch is judged by its real author.

Existing touches have no user: they stay the assigned owner's, as they were judged.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.ledger.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("touches") as batch:
        batch.add_column(sa.Column("user_id", sa.String(32), nullable=True))
        batch.create_index("ix_touches_user", ["user_id"])
    op.create_table(
        "sales_users",
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("owner_id", sa.String(32), nullable=False),
        sa.Column("learned_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_sales_users")),
    )


def downgrade() -> None:
    op.drop_table("sales_users")
    with op.batch_alter_table("touches") as batch:
        batch.drop_index("ix_touches_user")
        batch.drop_column("user_id")
