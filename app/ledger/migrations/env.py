"""Alembic environment: migrations run on the connection that `app.ledger.database.migrate` passes in."""

from __future__ import annotations

from alembic import context

from app.ledger.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite can only ALTER tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
