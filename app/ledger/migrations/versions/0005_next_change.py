"""The moment a contact's written values would change with no new signal (decay, closing windows), indexed for
the decay sweep. Contacts assessed before it are due at once: their values may have decayed since, so the first
sweep has them re-assessed (at a drain's request floor), which stores their moment.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.ledger.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contact_state") as batch:
        batch.add_column(sa.Column("next_change_at", UTCDateTime(), nullable=True))
    op.create_index("ix_contact_state_next_change", "contact_state", ["next_change_at", "contact_id"])
    op.execute("UPDATE contact_state SET next_change_at = assessed_at WHERE deleted_at IS NULL")


def downgrade() -> None:
    op.drop_index("ix_contact_state_next_change", table_name="contact_state")
    with op.batch_alter_table("contact_state") as batch:
        batch.drop_column("next_change_at")
