"""The reconciler (run by the one `rq cron` process): Redis may lose work, the ledger never does.

It gives the claims of drains RQ reports dead (their worker SIGKILLed: about 90 s after its last heartbeat)
and expired drain claims back to the dirty set, marks contacts whose signals stayed unprocessed past a grace
period dirty again, marks contacts whose recheck is due (after a write HubSpot never answered) dirty, and
schedules the resolver for waiting company and engagement-object signals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.ledger.store import Ledger
from app.sync.jobs import job
from app.worklist import Worklist

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReconcileContext:
    ledger: Ledger
    worklist: Worklist
    clock: Callable[[], datetime]
    grace: timedelta  # signals unprocessed for longer are work Redis lost
    dead_holders: Callable[[Collection[str]], set[str]]  # which claim holders RQ no longer runs (sync/holders.py)


@dataclass(frozen=True)
class ReconcileReport:
    released_claims: int  # held by a drain RQ reports dead
    expired_claims: int
    remarked: int
    rechecked: int
    waiting_objects: int


@job("reconcile", needs=ReconcileContext, timeout=300)
def reconcile(ctx: ReconcileContext) -> ReconcileReport:
    """Re-mark lost work from the ledger and schedule the jobs that will do it."""
    ledger, worklist, grace = ctx.ledger, ctx.worklist, ctx.grace
    now = ctx.clock()
    released = release_dead_claims(ctx, now.timestamp())
    expired = worklist.requeue_expired_claims(now.timestamp())
    stale = ledger.signals.contacts_with_pending_signals(received_before=now - grace)
    worklist.mark_dirty(stale, now.timestamp())
    rechecks = worklist.take_due_rechecks(now.timestamp())
    worklist.mark_dirty(rechecks, now.timestamp())
    waiting = ledger.signals.count_pending_object_signals(received_before=now - grace)
    if released or expired or stale or rechecks or worklist.dirty_count():
        worklist.schedule("drain")
    if waiting:
        worklist.schedule("resolve")
    return ReconcileReport(
        released_claims=released,
        expired_claims=expired,
        remarked=len(stale),
        rechecked=len(rechecks),
        waiting_objects=waiting,
    )


def release_dead_claims(ctx: ReconcileContext, now: float) -> int:
    """Give the claims of every dead holder back to the dirty set; return how many."""
    held = ctx.worklist.claims_by_holder()
    released = 0
    for holder in sorted(ctx.dead_holders(held.keys())):
        count = ctx.worklist.return_to_dirty(held[holder], now, holder=holder)
        if count:
            logger.warning("reconcile.dead-drain-claims-released", extra={"holder": holder, "contacts": count})
        released += count
    return released
