"""Engines for the ledger (SQLite in WAL mode by default, PostgreSQL in production) and its migrations."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x1EAD_F10  # PostgreSQL advisory lock id held while migrating
# Alembic logs "Context impl …" and "Will assume transactional DDL" whenever it looks at a database: worth a line
# when migrating, noise on every readiness check. A filter reads this flag (a ContextVar: threads check at once).
_CHECKING = ContextVar("leadflow_checking_schema", default=False)


def normalise_url(url: str) -> str:
    """Return `url` with the psycopg 3 driver for PostgreSQL URLs (`postgres://` included)."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_ledger_engine(url: str, **kwargs: Any) -> Engine:
    """Create the engine for `url`; SQLite gets WAL, a busy timeout and foreign keys."""
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, **kwargs)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
    event.listen(engine, "connect", _configure_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config() -> Config:
    """Return Alembic's configuration of the ledger's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Bring the ledger's schema up to the newest migration."""
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Web and worker processes may start together: one migrates, the others wait for it.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def schema_is_current(engine: Engine) -> bool:
    """Return whether the ledger's schema is at the newest migration (without Alembic's log lines)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    _quiet_while_checking(logging.getLogger("alembic.runtime.migration"))
    token = _CHECKING.set(True)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision() == head
    finally:
        _CHECKING.reset(token)


class _QuietWhileChecking(logging.Filter):
    """Drop Alembic's records logged by `schema_is_current`; a migration's pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _CHECKING.get()


def _quiet_while_checking(alembic_logger: logging.Logger) -> None:
    if not any(isinstance(existing, _QuietWhileChecking) for existing in alembic_logger.filters):
        alembic_logger.addFilter(_QuietWhileChecking())
