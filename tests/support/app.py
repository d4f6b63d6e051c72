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
