"""What `leadflow doctor` reads with: the configuration, the HubSpot gateway, Redis, the ledger's engine and the
web process's public URL and client secret. The composition root builds it (`app/bootstrap.py`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from redis import Redis
from sqlalchemy import Engine

from app.rules.configuration import Configuration
from app.sync.hubspot.gateway import DoctorGateway


@dataclass(frozen=True)
class DoctorContext:
    configuration: Configuration
    gateway: Callable[[], DoctorGateway]
    redis: Redis
    engine: Engine
    queue_name: str
    public_url: str | None
    client_secret: str | None
    clock: Callable[[], datetime]
    probe_timeout: float = 5.0
