"""The options HubSpot holds for Leadflow's own enumeration properties, as `leadflow setup` made them (nurture's
track and step: the drain offers only a value HubSpot takes; docs/nurture.md).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("property_types") as batch:
        batch.add_column(sa.Column("options", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("property_types") as batch:
        batch.drop_column("options")
