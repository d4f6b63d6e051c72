"""What a benchmark runs against: real Redis and PostgreSQL, the HubSpot twin with HubSpot's real limits, and
Leadflow's own processes (`leadflow web` under gunicorn as in the Procfile, `leadflow worker`).

Everything is the bench's own and is cleaned up after it: a Redis database (flushed before and after), a fresh
PostgreSQL schema (dropped after), a temporary directory for the processes' logs.
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import create_engine, text

from app.bootstrap import Container, build_container
from app.settings import Settings, load_settings
from bench.processes import Service, free_port
from hubspot_twin import Twin
from hubspot_twin.crm.timestamps import Clock, utc_now
from hubspot_twin.http.guard import GuardConfig

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ACCESS_TOKEN = "bench-token"
CLIENT_SECRET = "bench-client-secret"
APP_ID = "424242"
PROFESSIONAL_LIMIT = 190  # HubSpot's ten-second limit of a Professional portal, for all its apps together


def request_times(twin: Twin, since: float = 0.0, until: float = float("inf")) -> list[float]:
    """When (epoch seconds, in order) the twin served the requests in its log, between `since` and `until`."""
    entries = twin.guard.log.entries() if twin.guard is not None else []
    return sorted(t for t in (datetime.fromisoformat(e.time).timestamp() for e in entries) if since <= t <= until)


def busiest_window(times: list[float], window: float = 10.0) -> int:
    """The most of these (ordered) times that fall in any `window` seconds: HubSpot's rolling-window count."""
    peak, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


@dataclass(frozen=True)
class Servers:
    """Where the bench's real servers are (its own Redis database, and a PostgreSQL it makes a schema in)."""

    redis_url: str = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    postgres_url: str = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def redis_db(url: str) -> Iterator[redis.Redis]:
    """Yield a client of the bench's Redis database, emptied before and after."""
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    except redis.ConnectionError as exc:
        raise SystemExit(f"bench: Redis is not reachable at {url}: {exc}") from None
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """Create a fresh PostgreSQL schema; yield a URL whose search_path is it; drop it afterwards."""
    schema = f"leadflow_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        raise SystemExit(f"bench: PostgreSQL is not reachable at {url}: {exc}") from None
    try:
        yield f"{url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@dataclass
class Stack:
    """One benchmark's Leadflow: its settings, the twin it talks to, and the processes it started."""

    database_url: str
    redis_url: str
    twin: Twin
    twin_url: str
    log_dir: Path
    settings_overrides: dict[str, Any] = field(default_factory=dict)
    services: list[Service] = field(default_factory=list)

    def environment(self, **extra: str) -> dict[str, str]:
        """The environment of a `leadflow` process of this stack."""
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("HUBSPOT_", "LEADFLOW_", "DRAIN_"))}
        env = {
            **keep,
            "LEADFLOW_ENV": "development",
            "HUBSPOT_ACCESS_TOKEN": ACCESS_TOKEN,
            "HUBSPOT_CLIENT_SECRET": CLIENT_SECRET,
            "HUBSPOT_APP_ID": APP_ID,
            "HUBSPOT_API_BASE": self.twin_url,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "LEADFLOW_CONFIG": str(ROOT / "config"),
            "PUBLIC_URL": "http://127.0.0.1",
        }
        env.update({key.upper(): str(value) for key, value in self.settings_overrides.items()})
        env.update(extra)
        return env

    def settings(self) -> Settings:
        env = self.environment()
        names = Settings.model_fields
        return load_settings({k.lower(): v for k, v in env.items() if k.lower() in names})

    def container(self) -> Container:
        """A container of Leadflow's adapters in this process (for direct measurements)."""
        return build_container(self.settings())

    def start(self, name: str, *argv: str, **env: str) -> Service:
        service = Service(name, list(argv), self.environment(**env), ROOT, self.log_dir).start()
        self.services.append(service)
        return service

    def start_worker(self, name: str = "worker") -> Service:
        return self.start(name, str(BIN / "leadflow"), "worker")

    def start_web(self, workers: int = 2) -> tuple[Service, str]:
        """Start `web` as the Procfile does (gunicorn with app.serving's settings); return it and its webhook URL."""
        port = free_port()
        argv = [str(BIN / "gunicorn"), "--config", "python:app.serving.gunicorn_conf", "--workers", str(workers)]
        argv += ["--bind", f"127.0.0.1:{port}", "app:create_app()"]
        service = self.start("web", *argv, PUBLIC_URL=f"http://127.0.0.1:{port}")
        service.wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=30)
        return service, f"http://127.0.0.1:{port}/webhooks/hubspot"

    def stop_services(self) -> None:
        for service in reversed(self.services):
            service.stop()
        self.services.clear()


@contextmanager
def stack(
    servers: Servers,
    *,
    database: str = "postgresql",
    limits: GuardConfig | None = None,
    settings: Mapping[str, Any] | None = None,
    clock: Clock = utc_now,
) -> Iterator[Stack]:
    """Yield a fresh stack: the twin served over HTTP (HubSpot's Professional limits unless told otherwise), an
    empty ledger (PostgreSQL schema or SQLite file) and an empty Redis database; stop and remove it all after.
    `clock`: the twin's (a seed may set it back to date the histories)."""
    with ExitStack() as exits:
        log_dir = Path(exits.enter_context(tempfile.TemporaryDirectory(prefix="leadflow-bench-")))
        exits.enter_context(redis_db(servers.redis_url))
        if database == "postgresql":
            database_url = exits.enter_context(postgres_schema(servers.postgres_url))
        else:
            database_url = f"sqlite:///{log_dir / 'ledger.db'}"
        twin = Twin([ACCESS_TOKEN], apps={ACCESS_TOKEN: APP_ID}, clock=clock, limits=limits or GuardConfig())
        server = exits.enter_context(twin.serve())
        the_stack = Stack(database_url, servers.redis_url, twin, server.url, log_dir, dict(settings or {}))
        exits.callback(the_stack.stop_services)
        yield the_stack
