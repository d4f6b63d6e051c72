"""The drain: claim up to 500 dirty contacts (after a short debounce), run them through the pipeline of steps
(app/sync/pipeline.py), and go on while any remain.

When HubSpot's daily budget is spent (`DailyLimitReached`), the drain gives its contacts back to the dirty set
and ends normally with `paused_until` (ISO 8601) in its report, instead of failing and burning RQ's retries:
the drain job schedules the next drain for that time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from rq import Retry

from app.sync.holders import current_holder
from app.sync.hubspot.errors import DailyLimitReached
from app.sync.jobs import job
from app.sync.pipeline import DrainReport, Pipeline
from app.worklist import Worklist

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DrainContext:
    pipeline: Pipeline
    worklist: Worklist
    clock: Callable[[], datetime]
    batch_size: int = 500
    debounce_seconds: float = 1.0
    claim_lease_seconds: float = 900.0
    sleep: Callable[[float], None] = field(default=time.sleep)
    holder: Callable[[], str | None] = field(default=current_holder)  # who claims (app/sync/holders.py)


@dataclass(frozen=True)
class DrainOutcome(DrainReport):
    """The drain's report; `paused_until` (ISO 8601) when HubSpot's daily budget stopped it until then."""

    paused_until: str | None = None


@job("drain", needs=DrainContext, timeout=900, retry=Retry(max=3, interval=[5, 30, 120]))
def drain(ctx: DrainContext) -> DrainOutcome:
    """The drain job: drain a batch; when HubSpot's daily limit stopped it, drain again when the limit resets."""
    outcome = drain_dirty_contacts(ctx)
    if outcome.paused_until is not None:
        ctx.worklist.schedule_at("drain", datetime.fromisoformat(outcome.paused_until))
    return outcome


def drain_dirty_contacts(ctx: DrainContext) -> DrainOutcome:
    """Drain one batch of dirty contacts (after the debounce); schedule the next drain while any remain."""
    ctx.worklist.started("drain")
    _wait_for_debounce(ctx)
    now, holder = ctx.clock().timestamp(), ctx.holder()
    lease_until = now + ctx.claim_lease_seconds
    ids = ctx.worklist.claim(ctx.batch_size, _ready_before(ctx, now), now, lease_until, holder=holder)
    report = DrainReport()
    if ids:
        try:
            report = ctx.pipeline.run(ids)
        except DailyLimitReached as exc:
            return _paused(ctx, ids, holder, exc)
        except BaseException as exc:
            ctx.worklist.return_to_dirty(ids, ctx.clock().timestamp(), holder=holder)
            logger.error("drain.failed", extra={"contacts": len(ids), "error": f"{type(exc).__name__}: {exc}"})
            raise
        ctx.worklist.release(ids, holder=holder)
    remaining = ctx.worklist.dirty_count()
    if remaining and ids:
        # A drain that claimed nothing found every ready contact claimed by another drain, which schedules
        # the next one when it finishes; scheduling here too would spin while that drain works.
        ctx.worklist.schedule("drain")
    return DrainOutcome(**{**_fields(report), "remaining": remaining})


def _fields(report: DrainReport) -> dict[str, Any]:
    return {f.name: getattr(report, f.name) for f in fields(report)}


def _paused(ctx: DrainContext, ids: list[str], holder: str | None, limit: DailyLimitReached) -> DrainOutcome:
    """Give the contacts back untouched and report until when HubSpot refuses every call."""
    ctx.worklist.return_to_dirty(ids, ctx.clock().timestamp(), holder=holder)
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
