"""The sales team (HubSpot's owners), read once and kept for a while: HubSpot's advice for settings-like data.

The copy is kept in Redis when there is one, so every worker process (and every work horse RQ forks, which
would lose a copy kept in its memory) shares one read per `ttl`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict

from redis import Redis

from app.rules.handover.types import Owner
from app.sync.hubspot.gateway import HubSpotGateway

TEAM_TTL_SECONDS = 300.0


class TeamCache:
    """Owners by id, refreshed from HubSpot at most every `ttl` seconds."""

    def __init__(
        self,
        gateway: Callable[[], HubSpotGateway],
        ttl: float = TEAM_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        shared: tuple[Redis, str] | None = None,  # a Redis and the key to keep the copy under
    ) -> None:
        self._gateway = gateway
        self._shared = shared
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._team: Mapping[str, Owner] = {}
        self._read_at: float | None = None

    def __call__(self) -> Mapping[str, Owner]:
        """Return the owners, reading them from HubSpot when the copy is missing or old."""
        with self._lock:
            if self._read_at is None or self._clock() - self._read_at > self._ttl:
                self._team = {owner.id: owner for owner in self._read()}
                self._read_at = self._clock()
            return self._team

    def _read(self) -> list[Owner]:
        if self._shared is None:
            return self._gateway().owners()
        redis, key = self._shared
        kept = shared_owners(redis, key)
        if kept is not None:
            return kept
        owners = self._gateway().owners()
        redis.set(key, json.dumps([asdict(owner) for owner in owners]), ex=max(1, int(self._ttl)))
        return owners


def team_key(redis_prefix: str) -> str:
    """Return the Redis key of the team's shared copy."""
    return f"{redis_prefix}:team"


def shared_owners(redis: Redis, key: str) -> list[Owner] | None:
    """Return the team's copy kept in Redis, or None when there is none (Redis errors propagate)."""
    kept = redis.get(key)
    return [_owner(item) for item in json.loads(kept)] if isinstance(kept, bytes | str) else None


def _owner(item: dict[str, object]) -> Owner:
    teams = item.get("teams") or []
    assert isinstance(teams, list)
    user = item.get("user_id")
    return Owner(
        str(item["id"]),
        str(item["email"]),
        str(item["name"]),
        tuple(map(str, teams)),
        item["active"] is True,
        str(user) if user else None,
    )
