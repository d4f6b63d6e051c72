"""The worklist in Redis: which contacts are dirty, which a drain has claimed, and which jobs are pending.

Redis is a work queue, never the record: everything here can be rebuilt from the ledger by the reconciler.

- `dirty` is a sorted set of contact ids scored by the time they first became dirty (later marks keep the
  earliest time, so a contact in a steady stream of events is still drained after the debounce).
- `claimed` holds the ids a drain is working on, scored by the time the claim expires. A contact that is
  claimed stays out of other drains; a claim whose drain died expires and goes back to `dirty`.
- `claimed:holders` names, for each claim made inside an RQ job, which drain holds it (`<job id>@<worker>`,
  written by the claim scripts with the claim). The reconciler gives back at once the claims of a holder RQ
  reports dead, instead of waiting out the lease; only the holder's own release removes a claim it holds, so a
  drain that outlives its worker cannot drop the claims of the drain that took its contacts over.
- `recheck` holds contacts to look at again later, scored by when: a write HubSpot never answered may still be
  applied late, over a newer one. The reconciler moves those that are due into `dirty`.
- `pending:<job>` keys make sure at most one drain (or resolve) job waits in the queue at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from redis import Redis

# The claim scripts record the claim's holder (ARGV "holder", '' for none) beside it, in the same step.
CLAIM_SCRIPT = """
local limit = tonumber(ARGV[3])
local candidates = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0,
                              limit + redis.call('ZCARD', KEYS[2]))
local taken = {}
for _, id in ipairs(candidates) do
  if #taken >= limit then break end
  local lease = redis.call('ZSCORE', KEYS[2], id)
  if (not lease) or tonumber(lease) < tonumber(ARGV[1]) then
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZADD', KEYS[2], ARGV[4], id)
    if ARGV[5] == '' then redis.call('HDEL', KEYS[3], id) else redis.call('HSET', KEYS[3], id, ARGV[5]) end
    table.insert(taken, id)
  end
end
return taken
"""

# Claim the given contacts (ARGV[4..]) unless another claim on them is still running; return those taken.
CLAIM_IDS_SCRIPT = """
local taken = {}
for i = 4, #ARGV do
  local lease = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if (not lease) or tonumber(lease) < tonumber(ARGV[1]) then
    redis.call('ZADD', KEYS[1], ARGV[2], ARGV[i])
    if ARGV[3] == '' then redis.call('HDEL', KEYS[2], ARGV[i]) else redis.call('HSET', KEYS[2], ARGV[i], ARGV[3]) end
    table.insert(taken, ARGV[i])
  end
end
return taken
"""

REQUEUE_EXPIRED_SCRIPT = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1])
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  redis.call('ZADD', KEYS[1], 'NX', ARGV[1], id)
end
return #expired
"""

# Drop the claims on ARGV[3..] that holder ARGV[1] ('' for none) still holds; with ARGV[2] (a time), mark them
# dirty then. A claim someone else holds now (the lease ran out, or its holder was found dead) is left alone.
RELEASE_SCRIPT = """
local released = 0
for i = 3, #ARGV do
  local holder = redis.call('HGET', KEYS[3], ARGV[i]) or ''
  if holder == ARGV[1] and redis.call('ZREM', KEYS[2], ARGV[i]) == 1 then
    redis.call('HDEL', KEYS[3], ARGV[i])
    if ARGV[2] ~= '' then redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[i]) end
    released = released + 1
  end
end
return released
"""

Enqueue = Callable[[str], None]  # enqueue the job of this name now
EnqueueAt = Callable[[str, datetime], bool]  # … at this time; False when one is already scheduled then


class Worklist:
    """Dirty contacts, drain claims and pending-job flags, kept in Redis."""

    def __init__(
        self, redis: Redis, enqueue: Enqueue, prefix: str = "leadflow", enqueue_at: EnqueueAt | None = None
    ) -> None:
        self.redis = redis
        self._enqueue = enqueue
        self._enqueue_at = enqueue_at
        self.dirty_key = f"{prefix}:dirty"
        self.claimed_key = f"{prefix}:claimed"
        self.holders_key = f"{prefix}:claimed:holders"
        self.recheck_key = f"{prefix}:recheck"
        self.pending_prefix = f"{prefix}:pending:"
        self.stats_key = f"{prefix}:stats:webhook"
        self._claim = redis.register_script(CLAIM_SCRIPT)
        self._claim_ids = redis.register_script(CLAIM_IDS_SCRIPT)
        self._requeue_expired = redis.register_script(REQUEUE_EXPIRED_SCRIPT)
        self._release = redis.register_script(RELEASE_SCRIPT)

    def mark_dirty(self, contact_ids: Iterable[str], at: float) -> None:
        """Add contacts to the dirty set; a contact already dirty keeps its earlier time."""
        members = {contact_id: at for contact_id in contact_ids}
        if members:
            self.redis.zadd(self.dirty_key, members, nx=True)

    def mark_due(self, pages: Iterable[Sequence[str]], at: float) -> int:
        """Mark the contacts a clock job found due dirty, page by page, and schedule a drain when there were any;
        return how many were marked."""
        due = 0
        for page in pages:
            self.mark_dirty(page, at)
            due += len(page)
        if due:
            self.schedule("drain")
        return due

    def recheck_later(self, contact_ids: Iterable[str], at: float) -> None:
        """Have the reconciler mark these contacts dirty again at `at` (a later request keeps the later time)."""
        members = {contact_id: at for contact_id in contact_ids}
        if members:
            self.redis.zadd(self.recheck_key, members, gt=True)

    def take_due_rechecks(self, now: float) -> list[str]:
        """Remove and return the contacts whose recheck is due."""
        pipeline = self.redis.pipeline()
        pipeline.zrangebyscore(self.recheck_key, "-inf", now)
        pipeline.zremrangebyscore(self.recheck_key, "-inf", now)
        due, _removed = pipeline.execute()
        return [_text(contact_id) for contact_id in due]

    def recheck_count(self) -> int:
        """Return how many contacts wait for a recheck."""
        return int(self.redis.zcard(self.recheck_key))

    def schedule(self, job: str, ttl_seconds: int = 300) -> bool:
        """Enqueue `job` unless one is already pending; return whether it was enqueued."""
        if not self.redis.set(self.pending_prefix + job, "1", nx=True, ex=ttl_seconds):
            return False
        try:
            self._enqueue(job)
        except Exception:
            self.redis.delete(self.pending_prefix + job)
            raise
        return True

    def schedule_at(self, job: str, when: datetime) -> bool:
        """Have `job` run at `when` (once, however often it is asked for that time); return whether it was new."""
        if self._enqueue_at is None:
            raise RuntimeError("this worklist cannot schedule jobs for later (no enqueue_at was given)")
        return self._enqueue_at(job, when)

    def started(self, job: str) -> None:
        """Note that the pending `job` has started, so new work schedules a fresh one."""
        self.redis.delete(self.pending_prefix + job)

    def claim(
        self, limit: int, ready_before: float, now: float, lease_until: float, holder: str | None = None
    ) -> list[str]:
        """Move up to `limit` contacts dirty since `ready_before` (and not claimed) into the claimed set."""
        keys = [self.dirty_key, self.claimed_key, self.holders_key]
        taken = self._claim(keys=keys, args=[now, ready_before, limit, lease_until, holder or ""])
        return [_text(contact_id) for contact_id in taken]

    def claim_ids(
        self, contact_ids: Sequence[str], now: float, lease_until: float, holder: str | None = None
    ) -> list[str]:
        """Claim these contacts (a re-score page), leaving their dirty marks alone; skip any another drain holds."""
        if not contact_ids:
            return []
        keys = [self.claimed_key, self.holders_key]
        taken = self._claim_ids(keys=keys, args=[now, lease_until, holder or "", *contact_ids])
        return [_text(contact_id) for contact_id in taken]

    def release(self, contact_ids: Sequence[str], holder: str | None = None) -> None:
        """Drop the claims of contacts whose drain finished (those `holder` still holds)."""
        self._give_back(contact_ids, holder, at=None)

    def return_to_dirty(self, contact_ids: Sequence[str], at: float, holder: str | None = None) -> int:
        """Give claimed contacts back to the dirty set (their drain failed, or died); return how many."""
        return self._give_back(contact_ids, holder, at)

    def _give_back(self, contact_ids: Sequence[str], holder: str | None, at: float | None) -> int:
        if not contact_ids:
            return 0
        keys = [self.dirty_key, self.claimed_key, self.holders_key]
        args = [holder or "", "" if at is None else at, *contact_ids]
        return int(self._release(keys=keys, args=args))

    def claims_by_holder(self) -> dict[str, list[str]]:
        """Return the contacts each known holder has claimed (claims made outside a job have no holder)."""
        raw: dict[Any, Any] = self.redis.hgetall(self.holders_key)
        held: dict[str, list[str]] = {}
        for contact_id, holder in raw.items():
            held.setdefault(_text(holder), []).append(_text(contact_id))
        return held

    def forget(self, contact_ids: Sequence[str]) -> None:
        """Remove contacts from the worklist altogether (privacy deletion)."""
        if contact_ids:
            self.redis.zrem(self.dirty_key, *contact_ids)
            self.redis.zrem(self.claimed_key, *contact_ids)
            self.redis.hdel(self.holders_key, *contact_ids)
            self.redis.zrem(self.recheck_key, *contact_ids)

    def requeue_expired_claims(self, now: float) -> int:
        """Return the contacts of claims that expired (their drain died) to the dirty set."""
        keys = [self.dirty_key, self.claimed_key, self.holders_key]
        return int(self._requeue_expired(keys=keys, args=[now]))

    def oldest_dirty(self) -> float | None:
        """Return when the longest-waiting dirty contact became dirty, or None when none is."""
        oldest = self.redis.zrange(self.dirty_key, 0, 0, withscores=True)
        return float(oldest[0][1]) if oldest else None

    def dirty_count(self) -> int:
        """Return how many contacts are dirty."""
        return int(self.redis.zcard(self.dirty_key))

    def claimed_count(self) -> int:
        """Return how many contacts a drain is working on."""
        return int(self.redis.zcard(self.claimed_key))

    def count_events(self, counts: dict[str, int]) -> None:
        """Add webhook event counts (accepted, duplicate, echo, ignored:<type>, …) to the statistics."""
        if counts:
            pipeline = self.redis.pipeline()
            for field, amount in counts.items():
                pipeline.hincrby(self.stats_key, field, amount)
            pipeline.execute()

    def event_counts(self) -> dict[str, int]:
        """Return the webhook event statistics."""
        raw: dict[Any, Any] = self.redis.hgetall(self.stats_key)
        return {_text(key): int(value) for key, value in raw.items()}


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
