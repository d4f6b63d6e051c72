"""The sales team (HubSpot's owners), read once and kept for a while: HubSpot's advice for settings-like data."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from app.rules.handover_types import Owner
from app.sync.gateway import HubSpotGateway

TEAM_TTL_SECONDS = 300.0


class TeamCache:
    """Owners by id, refreshed from HubSpot at most every `ttl` seconds."""

    def __init__(
        self,
        gateway: Callable[[], HubSpotGateway],
        ttl: float = TEAM_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._gateway = gateway
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._team: Mapping[str, Owner] = {}
        self._read_at: float | None = None

    def __call__(self) -> Mapping[str, Owner]:
        """Return the owners, reading them from HubSpot when the copy is missing or old."""
        with self._lock:
            if self._read_at is None or self._clock() - self._read_at > self._ttl:
                self._team = {owner.id: owner for owner in self._gateway().owners()}
                self._read_at = self._clock()
            return self._team
