"""The touch reconciliation (clock job `touch-reconcile`, every TOUCH_RECONCILE_SECONDS): touches that came without
a webhook.

It first tells the ledger which owner each of the sales team's users is (`learn_team`), so lead status, task and
deal stage touches, which HubSpot attributes to a user, are judged by their author.

For the contacts with an open, owned handover that has no first touch, it reads HubSpot's own record of the
owner's first engagement (`hs_sa_first_engagement_date`, `hs_sa_first_engagement_object_type`,
`hs_sa_first_engagement_descr`) with the contact's owner, 100 contacts per request, and records a `reconciled`
touch when that engagement happened at or after the assignment. HubSpot computes these for the contact's
*current* owner (and resets them on reassignment), so the touch is that owner's: it counts when the owner is still
the handover's (or with `touch_by_others`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from rq import Retry

from app.ledger.records import NewTouch
from app.ledger.store import Ledger
from app.rules.handover.types import Owner
from app.rules.sla.first_touch import reconciled_touch
from app.rules.sla.policy import FirstTouch
from app.rules.values import as_utc
from app.sync.hubspot.errors import DailyLimitReached
from app.sync.hubspot.gateway import HubSpotGateway
from app.sync.jobs import job
from app.sync.sla.touches import learn_team
from app.worklist import Worklist

logger = logging.getLogger(__name__)

FIRST_ENGAGEMENT = (
    "hs_sa_first_engagement_date",
    "hs_sa_first_engagement_object_type",
    "hs_sa_first_engagement_descr",
    "hubspot_owner_id",
)
PAGE = 100  # contacts per HubSpot batch read


@dataclass(frozen=True)
class TouchReconcileContext:
    ledger: Ledger
    gateway: HubSpotGateway
    worklist: Worklist
    clock: Callable[[], datetime]
    first_touch: FirstTouch | None  # None: no SLA, nothing to reconcile
    team: Callable[[], Mapping[str, Owner]] = dict  # the sales team (owners by id); empty without handover.yaml


@dataclass(frozen=True)
class TouchReconcileReport:
    contacts: int = 0  # contacts awaiting a first touch that were looked at
    touches: int = 0  # reconciled touches recorded (new or already known)
    paused_until: str | None = None  # HubSpot's daily limit stopped it until then (ISO 8601)


@job("touch-reconcile", needs=TouchReconcileContext, timeout=900, retry=Retry(max=3, interval=[5, 30, 120]))
def reconcile_touches(ctx: TouchReconcileContext) -> TouchReconcileReport:
    """Record the first engagements HubSpot knows of and Leadflow does not, for handovers awaiting a first touch."""
    policy = ctx.first_touch
    if policy is None:
        return TouchReconcileReport()
    contacts = touches = 0
    after = ""
    try:
        _judge_by_author(ctx, policy)
        while page := ctx.ledger.touches.awaiting_first_touch(after, PAGE):
            touches += _reconcile_page(ctx, policy, page)
            contacts += len(page)
            after = page[-1][0]
    except DailyLimitReached as exc:
        return TouchReconcileReport(contacts, touches, exc.resume_at.isoformat())
    logger.info("touch-reconcile.done", extra={"contacts": contacts, "touches": touches})
    return TouchReconcileReport(contacts, touches)


def _judge_by_author(ctx: TouchReconcileContext, policy: FirstTouch) -> None:
    rejudged = learn_team(ctx.ledger, ctx.team(), policy, ctx.clock())
    if rejudged:
        ctx.worklist.mark_dirty(rejudged, ctx.clock().timestamp())
        ctx.worklist.schedule("drain")


def _reconcile_page(ctx: TouchReconcileContext, policy: FirstTouch, page: Sequence[tuple[str, datetime]]) -> int:
    read = ctx.gateway.read_objects("contact", [contact for contact, _ in page], FIRST_ENGAGEMENT)
    found = [
        NewTouch(touch, contact_id=contact)
        for contact, assigned_at in page
        if (touch := reconciled_touch(policy, contact, read.get(contact, {}))) is not None
        and as_utc(touch.at) >= as_utc(assigned_at)
    ]
    if found:
        touched = ctx.ledger.touches.record(found, policy)
        ctx.worklist.mark_dirty(touched, ctx.clock().timestamp())
        ctx.worklist.schedule("drain")
    return len(found)
