"""The sales team kept in Redis: every process (and every forked work horse) shares one read per TTL."""

from __future__ import annotations

import redis

from app.rules.handover.types import Owner
from app.sync.handover.team import TeamCache
from app.sync.hubspot.gateway import HubSpotGateway

TEAM = [Owner("1", "dana.fuchs@example.com", "Dana Fuchs", ("DACH",)), Owner("9", "x@example.com", "X", (), False)]


class Owners:
    """Stands in for HubSpot's owners pages: counts the reads."""

    def __init__(self) -> None:
        self.reads = 0

    def owners(self) -> list[Owner]:
        self.reads += 1
        return list(TEAM)


def test_processes_share_one_read_of_the_team_while_it_is_fresh(redis_client: redis.Redis) -> None:
    hubspot = Owners()

    def gateway() -> HubSpotGateway:
        return hubspot  # type: ignore[return-value]  # only owners() is used

    first = TeamCache(gateway, ttl=60, shared=(redis_client, "test:team"))
    second = TeamCache(gateway, ttl=60, shared=(redis_client, "test:team"))  # another work horse
    assert first() == second() == {"1": TEAM[0], "9": TEAM[1]}
    assert hubspot.reads == 1
    assert 0 < redis_client.ttl("test:team") <= 60
    redis_client.delete("test:team")  # expired (or Redis lost it): read again
    assert TeamCache(gateway, ttl=60, shared=(redis_client, "test:team"))()["9"].active is False
    assert hubspot.reads == 2


def test_without_redis_each_cache_reads_for_itself() -> None:
    hubspot = Owners()
    cache = TeamCache(lambda: hubspot, ttl=60)  # type: ignore[arg-type, return-value]
    cache()
    cache()
    assert hubspot.reads == 1
