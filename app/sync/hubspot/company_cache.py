"""Company properties kept in Redis between drains: companies change rarely, and many contacts share one.

An entry holds the properties the model and the handovers read (keyed by that set of names, so a model that
reads other properties misses), for `ttl_seconds`. When the resolver sees a company's signal it forgets the
company before marking its contacts dirty. A generation counter per company makes that safe against a drain
that read the company from HubSpot just before the change: the drain stores what it read only if the
company's generation is still the one it saw before reading, so old values never outlive a change.

A re-score lists every company into the cache before it lists the contacts. A listing cannot know its
companies' generations before it reads them, so it stores its page only if no company at all was forgotten
meanwhile (a cache-wide epoch, moved on by every `forget`).

Like everything in Redis, the cache is a copy: losing it (a flush, a restart) only costs HubSpot reads.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from redis import Redis

from app.sync.hubspot.gateway import HubSpotGateway, Properties

# KEYS: n value keys, then their n generation keys. ARGV: field, ttl, then per company its expected generation and
# its properties as JSON. Store a company only if its generation is still the expected one.
PUT_SCRIPT = """
local n = #KEYS / 2
local stored = 0
for i = 1, n do
  local generation = redis.call('GET', KEYS[n + i]) or '0'
  if generation == ARGV[1 + 2 * i] then
    redis.call('HSET', KEYS[i], ARGV[1], ARGV[2 + 2 * i])
    redis.call('EXPIRE', KEYS[i], ARGV[2])
    stored = stored + 1
  end
end
return stored
"""

# KEYS: the epoch key, then the value keys. ARGV: field, ttl, expected epoch, then each company's JSON.
STORE_LISTED_SCRIPT = """
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[3] then
  return 0
end
for i = 2, #KEYS do
  redis.call('HSET', KEYS[i], ARGV[1], ARGV[2 + i])
  redis.call('EXPIRE', KEYS[i], ARGV[2])
end
return #KEYS - 1
"""


@dataclass(frozen=True)
class Lookup:
    """What the cache holds of some companies, and the generation of every company asked about."""

    found: dict[str, Properties]
    generations: dict[str, str]


class CompanyCache:
    def __init__(self, redis: Redis, prefix: str, ttl_seconds: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self._put = redis.register_script(PUT_SCRIPT)
        self._store_listed = redis.register_script(STORE_LISTED_SCRIPT)
        self._epoch_key = f"{prefix}:company-epoch"

    def lookup(self, company_ids: Sequence[str], properties: Sequence[str]) -> Lookup:
        """Return the cached companies among `company_ids` and every one's current generation."""
        field = _field(properties)
        pipeline = self.redis.pipeline(transaction=False)
        for company_id in company_ids:
            pipeline.hget(self._value_key(company_id), field)
            pipeline.get(self._generation_key(company_id))
        answers = pipeline.execute()
        found: dict[str, Properties] = {}
        generations: dict[str, str] = {}
        for index, company_id in enumerate(company_ids):
            value, generation = answers[2 * index], answers[2 * index + 1]
            generations[company_id] = generation.decode() if generation is not None else "0"
            if value is not None:
                found[company_id] = json.loads(value)
        return Lookup(found, generations)

    def store(
        self, companies: Mapping[str, Properties], properties: Sequence[str], generations: Mapping[str, str]
    ) -> int:
        """Keep these companies (as read after `generations` were looked up); return how many were kept."""
        ids = [company_id for company_id in companies if company_id in generations]
        if not ids:
            return 0
        keys = [self._value_key(i) for i in ids] + [self._generation_key(i) for i in ids]
        args: list[str | int] = [_field(properties), self.ttl_seconds]
        for company_id in ids:
            args += [generations[company_id], json.dumps(companies[company_id], separators=(",", ":"))]
        return int(self._put(keys=keys, args=args))

    def epoch(self) -> str:
        """Return the cache-wide epoch (take it before listing companies; see `store_listed`)."""
        value = self.redis.get(self._epoch_key)
        return value.decode() if isinstance(value, bytes) else "0"

    def store_listed(self, companies: Mapping[str, Properties], properties: Sequence[str], epoch: str) -> int:
        """Keep a page of listed companies unless any company was forgotten since `epoch`; return how many."""
        if not companies:
            return 0
        keys = [self._epoch_key, *(self._value_key(i) for i in companies)]
        args: list[str | int] = [_field(properties), self.ttl_seconds, epoch]
        args += [json.dumps(values, separators=(",", ":")) for values in companies.values()]
        return int(self._store_listed(keys=keys, args=args))

    def forget(self, company_ids: Iterable[str]) -> None:
        """Drop these companies and move their generation (and the epoch) on: HubSpot said they changed."""
        pipeline = self.redis.pipeline(transaction=True)
        pipeline.incr(self._epoch_key)
        for company_id in company_ids:
            pipeline.incr(self._generation_key(company_id))
            pipeline.expire(self._generation_key(company_id), self.ttl_seconds * 2)
            pipeline.delete(self._value_key(company_id))
        pipeline.execute()

    def _value_key(self, company_id: str) -> str:
        return f"{self.prefix}:company:{company_id}"

    def _generation_key(self, company_id: str) -> str:
        return f"{self.prefix}:company-generation:{company_id}"


def _field(properties: Sequence[str]) -> str:
    return hashlib.sha1(",".join(sorted(properties)).encode(), usedforsecurity=False).hexdigest()[:16]


def read_companies(
    gateway: HubSpotGateway,
    cache: CompanyCache | None,
    company_ids: Sequence[str],
    properties: Sequence[str],
    *,
    fresh: bool = False,
) -> dict[str, Properties]:
    """Return the companies' properties: from the cache where it has them (unless `fresh`), else one batch read
    from HubSpot, which the cache then keeps."""
    if not company_ids:
        return {}
    if cache is None:
        return gateway.read_objects("company", company_ids, properties)
    lookup = cache.lookup(company_ids, properties)
    kept = {} if fresh else lookup.found
    missing = [company_id for company_id in company_ids if company_id not in kept]
    if not missing:
        return kept
    read = gateway.read_objects("company", missing, properties)
    cache.store(read, properties, lookup.generations)
    return {**kept, **read}
