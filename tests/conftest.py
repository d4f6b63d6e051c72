"""Shared fixtures: real SQLite and PostgreSQL ledgers, a real Redis database, the default configuration.

Tests that need PostgreSQL or Redis use the real servers and never skip: when a server is missing the test
fails, saying which one. Each test cleans up after itself (its own PostgreSQL schema, its own Redis db).

Redis databases: a plain run uses database 11 (`LEADFLOW_TEST_REDIS_URL`) for the tests and 13
(`LEADFLOW_TEST_CLI_REDIS_URL`) for the commands they start. Under pytest-xdist (`make test` runs `-n 4`), worker
gwN takes the database numbered N-th in `LEADFLOW_TEST_REDIS_DBS` (default 1-10) for both, on the server of
`LEADFLOW_TEST_REDIS_URL`: a worker runs its tests one after another, so they never share a database at once.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
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
pytest_plugins = ("tests.faults.report",)  # the fault suite's report, printed by xdist's controller too

XDIST_REDIS_DBS = "1-10"  # the default databases of pytest-xdist's workers: never 0 (Leadflow's own), 11 or 13


def redis_database_numbers(spec: str) -> list[int]:
    """Parse `LEADFLOW_TEST_REDIS_DBS` ("1-6", "2,4,6", "1-3,8"): the databases xdist's workers take in turn."""
    numbers: list[int] = []
    for part in filter(None, (piece.strip() for piece in spec.split(","))):
        first, _, last = part.partition("-")
        if not (first.isdigit() and (not last or last.isdigit())):
            raise pytest.UsageError(f"LEADFLOW_TEST_REDIS_DBS: {part!r} is not a database number or range such as 1-10")
        numbers += range(int(first), int(last or first) + 1)
    return numbers


def worker_redis_url(url: str, worker: str, spec: str) -> str:
    """The Redis URL of xdist worker `worker` (gw0, gw1, …): `url` with its database replaced by the worker's own."""
    numbers, index = redis_database_numbers(spec), int(worker.removeprefix("gw"))
    if index >= len(numbers):
        raise pytest.UsageError(
            f"LEADFLOW_TEST_REDIS_DBS={spec!r}: {len(numbers)} Redis databases are too few for pytest-xdist worker "
            f"{worker}: run fewer workers (-n) or list more databases"
        )
    server, _, _database = url.rstrip("/").rpartition("/")
    return f"{server}/{numbers[index]}"


def redis_urls_of(environ: Mapping[str, str]) -> tuple[str, str]:
    """The Redis URLs of this test process: (the tests' own database, the database of the commands they start)."""
    url = environ.get("LEADFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
    worker = environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        return url, environ.get("LEADFLOW_TEST_CLI_REDIS_URL", "redis://127.0.0.1:6379/13")
    own = worker_redis_url(url, worker, environ.get("LEADFLOW_TEST_REDIS_DBS", XDIST_REDIS_DBS))
    return own, own


REDIS_URL, CLI_REDIS_URL = redis_urls_of(os.environ)

# The folders whose tests wait longest first: a fault scenario takes a minute or more, an end-to-end test seconds.
SLOW_FIRST = ("tests/faults/", "tests/e2e/", "tests/integration/")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, deal the tests out as cards, the slowest first, into one contiguous share per worker.

    xdist's `worksteal` gives each worker a contiguous share of the collection and lets an idle one take the end
    of another's queue: in collection order one worker would hold every fault scenario and run them one after
    another while the others ran out. Dealt, each share starts with its part of the scenarios and ends with unit
    tests, the ones to steal. Every worker collects the same order (xdist requires it); a plain run keeps its own.
    """
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if workers < 2:
        return
    ranked = sorted(items, key=lambda item: slowness(item.nodeid))  # stable: collection order within a rank
    shares: list[list[pytest.Item]] = [[] for _ in range(workers)]
    for index, item in enumerate(ranked):
        shares[index % workers].append(item)
    items[:] = [item for share in shares for item in share]


def slowness(nodeid: str) -> int:
    """0 for the slowest folder, then 1, 2, …; unit tests last."""
    return next((rank for rank, folder in enumerate(SLOW_FIRST) if nodeid.startswith(folder)), len(SLOW_FIRST))


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of an empty, migrated ledger database: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("migrated_sqlite_ledger")
        shutil.copyfile(template, tmp_path / "ledger.db")
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture(scope="session")
def migrated_sqlite_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite ledger migrated once per session (per xdist worker): each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("migrated") / "ledger.db"
    migrate_url(f"sqlite:///{path}")
    leftovers = [name for name in (f"{path.name}-wal", f"{path.name}-shm") if (path.parent / name).exists()]
    assert not leftovers, f"the migrated template is not one file: {leftovers}"  # WAL checkpointed at close
    return path


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
