"""Scoring model versions in the ledger (`leadflow model publish`, `leadflow model history`): one row per version
name (unique: two publishers of one name record it once), read back oldest first as the rules' PublishedVersion."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from app.ledger.models import MODEL_VERSIONS
from app.ledger.upsert import insert_for
from app.rules.scoring.versions import PublishedVersion

COLUMNS = ("version", "content_hash", "text", "published_at", "diff", "source", "rescore_run")


def record_version(connection: Connection, published: PublishedVersion) -> bool:
    """Record a version; return False when its name was recorded before (the earlier record stays)."""
    statement = (
        insert_for(connection, MODEL_VERSIONS)
        .on_conflict_do_nothing(index_elements=["version"])
        .returning(MODEL_VERSIONS.c.id)
    )
    return connection.execute(statement, {name: getattr(published, name) for name in COLUMNS}).first() is not None


def record_rescore_run(connection: Connection, version: str, run_id: str) -> None:
    """Note the re-score run a version's publishing started."""
    connection.execute(update(MODEL_VERSIONS).where(MODEL_VERSIONS.c.version == version).values(rescore_run=run_id))


def published_versions(connection: Connection) -> list[PublishedVersion]:
    """Return every published version, oldest first."""
    columns = [MODEL_VERSIONS.c[name] for name in COLUMNS]
    statement = select(*columns).order_by(MODEL_VERSIONS.c.published_at, MODEL_VERSIONS.c.id)
    return [PublishedVersion(*row) for row in connection.execute(statement)]
