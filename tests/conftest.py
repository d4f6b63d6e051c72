"""Shared fixtures: real SQLite and PostgreSQL ledgers, a real Redis database, the default configuration.

Tests that need PostgreSQL or Redis use the real servers and never skip: when a server is missing the test
fails, saying which one. Each test cleans up after itself (its own PostgreSQL schema, its own Redis db).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, create_engine, text

from app.ledger.database import create_ledger_engine, migrate
from app.ledger.store import Ledger

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = ROOT / "config"
POSTGRES_URL = os.environ.get("LEADFLOW_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("LEADFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of an empty, migrated ledger database: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
        migrate_url(url)
        yield url
        return
    with postgres_schema() as url:
        yield url


def migrate_url(url: str) -> None:
    engine = create_ledger_engine(url)
    migrate(engine)
    engine.dispose()


@contextmanager
def postgres_schema() -> Iterator[str]:
    """Create a fresh, migrated PostgreSQL schema; yield a URL whose search_path is it; drop it afterwards."""
    schema = f"leadflow_test_{uuid.uuid4().hex[:12]}"
    admin: Engine = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc}")
    try:
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        migrate_url(url)
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    engine = create_ledger_engine(ledger_url)
    yield Ledger(engine)
    engine.dispose()


@contextmanager
def empty_redis_db(url: str) -> Iterator[redis.Redis]:
    """Connect to a real Redis database, emptied before and after use; fail (never skip) if it is down."""
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is not reachable at {url}: {exc}")
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    """A real Redis connection to the tests' own database, emptied before and after the test."""
    with empty_redis_db(REDIS_URL) as client:
        yield client


@pytest.fixture
def config_dir() -> Path:
    return CONFIG_DIR
