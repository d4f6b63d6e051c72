"""The reconciler (run by the one `rq cron` process): Redis may lose work, the ledger never does.

It gives expired drain claims back to the dirty set, marks contacts whose signals stayed unprocessed past a
grace period dirty again, marks contacts whose recheck is due (after a write HubSpot never answered) dirty,
and schedules the resolver for waiting company and engagement-object signals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.ledger.store import Ledger
from app.sync.jobs import job
from app.worklist import Worklist


@dataclass(frozen=True)
class ReconcileContext:
    ledger: Ledger
    worklist: Worklist
    clock: Callable[[], datetime]
    grace: timedelta  # signals unprocessed for longer are work Redis lost


@dataclass(frozen=True)
class ReconcileReport:
    expired_claims: int
    remarked: int
    rechecked: int
    waiting_objects: int


@job("reconcile", needs=ReconcileContext, timeout=300)
def reconcile(ctx: ReconcileContext) -> ReconcileReport:
    """Re-mark lost work from the ledger and schedule the jobs that will do it."""
    ledger, worklist, grace = ctx.ledger, ctx.worklist, ctx.grace
    now = ctx.clock()
    expired = worklist.requeue_expired_claims(now.timestamp())
    stale = ledger.signals.contacts_with_pending_signals(received_before=now - grace)
    worklist.mark_dirty(stale, now.timestamp())
    rechecks = worklist.take_due_rechecks(now.timestamp())
    worklist.mark_dirty(rechecks, now.timestamp())
    waiting = ledger.signals.count_pending_object_signals(received_before=now - grace)
    if expired or stale or rechecks or worklist.dirty_count():
        worklist.schedule("drain")
    if waiting:
        worklist.schedule("resolve")
    return ReconcileReport(
        expired_claims=expired, remarked=len(stale), rechecked=len(rechecks), waiting_objects=waiting
    )
