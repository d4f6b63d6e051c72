"""Building Leadflow for tests: settings from a dict, a container on a real ledger and a real Redis."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import redis

from app.bootstrap import Container, build_container
from app.settings import Settings, load_settings
from app.sync.hubspot.gateway import HubSpotGateway

CLIENT_SECRET = "test-client-secret-0123456789"
APP_ID = "4242"
ACCESS_TOKEN = "test-access-token"
ROOT = Path(__file__).resolve().parents[2]


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "leadflow_env": "development",
        "database_url": database_url,
        "hubspot_client_secret": CLIENT_SECRET,
        "hubspot_app_id": APP_ID,
        "hubspot_access_token": ACCESS_TOKEN,
        "leadflow_config": ROOT / "config",
        "drain_debounce_seconds": 0,
    }
    values.update(overrides)
    return load_settings(values)


def make_container(
    database_url: str,
    client: redis.Redis,
    gateway_factory: Callable[[], HubSpotGateway] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Container:
    return build_container(
        make_settings(database_url, **dict(settings or {})), redis=client, gateway_factory=gateway_factory
    )


def command_env(home: Path, database_url: str, hubspot_url: str, redis_url: str, redis_prefix: str) -> dict[str, str]:
    """The environment of a `leadflow` command a test runs against the twin at `hubspot_url`: the shipped config, the
    test's ledger, and its Redis database under its own prefix (emptied after the test)."""
    return {
        "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TZ": "UTC", "HOME": str(home),
        "LEADFLOW_ENV": "development", "DATABASE_URL": database_url, "LEADFLOW_CONFIG": str(ROOT / "config"),
        "HUBSPOT_API_BASE": hubspot_url, "HUBSPOT_ACCESS_TOKEN": ACCESS_TOKEN,
        "HUBSPOT_CLIENT_SECRET": CLIENT_SECRET, "HUBSPOT_APP_ID": APP_ID,
        "REDIS_URL": redis_url, "REDIS_PREFIX": redis_prefix,
    }  # fmt: skip
