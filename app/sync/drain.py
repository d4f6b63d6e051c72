"""The drain: claim up to 500 dirty contacts (after a short debounce), score them, and go on while any remain.

When HubSpot's daily budget is spent (`DailyLimitReached`), the drain gives its contacts back to the dirty set
and ends normally with `paused_until` (ISO 8601) in its report, instead of failing and burning RQ's retries:
the job that ran it schedules the next drain for that time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime

from app.ledger.store import Ledger
from app.rules import ScoringModel
from app.sync.company_cache import CompanyCache
from app.sync.errors import DailyLimitReached
from app.sync.gateway import HubSpotGateway
from app.sync.handover import Handovers
from app.sync.scoring import DrainReport, score_contacts
from app.worklist import Worklist

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DrainContext:
    ledger: Ledger
    gateway: HubSpotGateway
    worklist: Worklist
    model: ScoringModel
    clock: Callable[[], datetime]
    batch_size: int = 500
    debounce_seconds: float = 1.0
    claim_lease_seconds: float = 900.0
    sleep: Callable[[float], None] = field(default=time.sleep)
    handovers: Handovers | None = None
    recheck_after_seconds: float = 300.0  # after an unanswered write, look at the contact again this much later
    company_cache: CompanyCache | None = None  # company properties kept between drains (None: read every time)


@dataclass(frozen=True)
class DrainOutcome(DrainReport):
    """The drain's report; `paused_until` (ISO 8601) when HubSpot's daily budget stopped it until then."""

    paused_until: str | None = None


def drain_dirty_contacts(ctx: DrainContext) -> DrainOutcome:
    """Drain one batch of dirty contacts (after the debounce); schedule the next drain while any remain."""
    ctx.worklist.started("drain")
    _wait_for_debounce(ctx)
    now = ctx.clock().timestamp()
    ids = ctx.worklist.claim(
        ctx.batch_size, ready_before=_ready_before(ctx, now), now=now, lease_until=now + ctx.claim_lease_seconds
    )
    report = DrainReport()
    if ids:
        try:
            report = score_contacts(ctx, ids)
        except DailyLimitReached as exc:
            return _paused(ctx, ids, exc)
        except BaseException as exc:
            ctx.worklist.return_to_dirty(ids, ctx.clock().timestamp())
            logger.error("drain.failed", extra={"contacts": len(ids), "error": f"{type(exc).__name__}: {exc}"})
            raise
        ctx.worklist.release(ids)
    remaining = ctx.worklist.dirty_count()
    if remaining and ids:
        # A drain that claimed nothing found every ready contact claimed by another drain, which schedules
        # the next one when it finishes; scheduling here too would spin while that drain works.
        ctx.worklist.schedule("drain")
    counts = {f.name: getattr(report, f.name) for f in fields(report)}
    return DrainOutcome(**{**counts, "remaining": remaining})


def _paused(ctx: DrainContext, ids: list[str], limit: DailyLimitReached) -> DrainOutcome:
    """Give the contacts back untouched and report until when HubSpot refuses every call."""
    ctx.worklist.return_to_dirty(ids, ctx.clock().timestamp())
    resume_at = limit.resume_at.isoformat()
    logger.warning("hubspot.daily-limit-reached", extra={"contacts": len(ids), "resume_at": resume_at})
    return DrainOutcome(claimed=len(ids), remaining=ctx.worklist.dirty_count(), paused_until=resume_at)


def _ready_before(ctx: DrainContext, now: float) -> float:
    """Once the oldest dirty contact has waited the debounce, every dirty contact is ready: the debounce is a
    batching window, so under a steady stream of webhooks a drain runs about once per debounce with all that
    arrived, instead of back-to-back drains of a few contacts each (which spend requests, and so the budget)."""
    oldest = ctx.worklist.oldest_dirty()
    return now if oldest is not None and oldest + ctx.debounce_seconds <= now else now - ctx.debounce_seconds


def _wait_for_debounce(ctx: DrainContext) -> None:
    """Let a burst of events for the same contacts settle before reading them (at most one debounce)."""
    oldest = ctx.worklist.oldest_dirty()
    if oldest is None:
        return
    wait = oldest + ctx.debounce_seconds - ctx.clock().timestamp()
    if wait > 0:
        ctx.sleep(min(wait, ctx.debounce_seconds))
