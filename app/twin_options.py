"""The options of `leadflow twin`, as one typed record."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TwinOptions:
    port: int
    host: str
    tokens: tuple[str, ...]
    app_id: str
    contacts: int
    seed: int
    rate_limit: int
    daily_limit: int
    fault_429: float
    fault_5xx: float
    fault_slow: float
    slow_seconds: float
    fault_drop: float
    webhook_url: str | None
    client_secret: str
    config_dir: Path
    leads: bool = True  # the portal has HubSpot's Leads object (Sales Hub Professional); --no-leads: a portal without
