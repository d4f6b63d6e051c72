"""`INSERT … ON CONFLICT` for both backends of the ledger."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_for(connection: Connection, table: Table) -> Any:
    """Return the dialect's INSERT construct for `table`, which knows `on_conflict_do_*`."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    if connection.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"the ledger supports SQLite and PostgreSQL, not {connection.dialect.name}")
