"""`INSERT … ON CONFLICT` for both backends of the ledger, and re-keying rows unique per contact on a merge."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, exists, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased


def insert_for(connection: Connection, table: Table) -> Any:
    """Return the dialect's INSERT construct for `table`, which knows `on_conflict_do_*`."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    if connection.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"the ledger supports SQLite and PostgreSQL, not {connection.dialect.name}")


def move_once(connection: Connection, model: Any, key: str, merged: Sequence[str], survivor: str) -> None:
    """Give the merged contacts' rows of `model` to the survivor, a row whose `key` the survivor already holds kept
    once (the survivor's): for the tables unique per contact and key (touches per source, nurture steps)."""
    for contact_id in merged:  # one at a time: two merged contacts may hold the same key
        theirs = aliased(model)
        already_there = exists().where(and_(theirs.contact_id == survivor, getattr(theirs, key) == getattr(model, key)))
        connection.execute(delete(model).where(model.contact_id == contact_id, already_there))
        connection.execute(update(model).where(model.contact_id == contact_id).values(contact_id=survivor))
