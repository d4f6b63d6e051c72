"""The drain: take up to 100 dirty contacts, re-assess them from HubSpot and the ledger, write what changed.

HubSpot requests per drain: one batch read of the contacts, one association read for their primary
companies and one batch read of those companies (both skipped when the model reads no company property),
and one batch update of the contacts whose scores changed (skipped when none did) — at most four.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from app.ledger.records import AssessedContact, EngagementRecord
from app.ledger.store import Ledger
from app.rules import Assessment, EngagementEvent, ScoringModel, assess, render_reasons
from app.rules.writes import SCORE_PROPERTIES, plan_score_writes
from app.sync.gateway import PRIMARY_CONTACT_TO_COMPANY, HubSpotGateway, Properties
from app.worklist import Worklist

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DrainContext:
    ledger: Ledger
    gateway: HubSpotGateway
    worklist: Worklist
    model: ScoringModel
    clock: Callable[[], datetime]
    batch_size: int = 100
    debounce_seconds: float = 1.0
    claim_lease_seconds: float = 900.0
    sleep: Callable[[float], None] = field(default=time.sleep)


@dataclass(frozen=True)
class DrainReport:
    claimed: int = 0
    written: int = 0
    unchanged: int = 0
    missing: int = 0
    refused: int = 0
    remaining: int = 0


def drain_dirty_contacts(ctx: DrainContext) -> DrainReport:
    """Drain one batch of dirty contacts (after the debounce); schedule the next drain while any remain."""
    ctx.worklist.started("drain")
    _wait_for_debounce(ctx)
    now = ctx.clock().timestamp()
    ids = ctx.worklist.claim(
        ctx.batch_size,
        ready_before=now - ctx.debounce_seconds,
        now=now,
        lease_until=now + ctx.claim_lease_seconds,
    )
    report = DrainReport()
    if ids:
        try:
            report = score_contacts(ctx, ids)
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
    return replace(report, remaining=remaining)


def _wait_for_debounce(ctx: DrainContext) -> None:
    """Let a burst of events for the same contacts settle before reading them (at most one debounce)."""
    oldest = ctx.worklist.oldest_dirty()
    if oldest is None:
        return
    wait = oldest + ctx.debounce_seconds - ctx.clock().timestamp()
    if wait > 0:
        ctx.sleep(min(wait, ctx.debounce_seconds))


def score_contacts(ctx: DrainContext, contact_ids: Sequence[str]) -> DrainReport:
    """Re-assess these contacts and write the score properties that changed."""
    watermark = ctx.ledger.watermark()
    contact_props, company_props = ctx.model.referenced_properties()
    contacts = ctx.gateway.read_objects("contact", contact_ids, sorted({*contact_props, *SCORE_PROPERTIES}))
    missing = [contact_id for contact_id in contact_ids if contact_id not in contacts]
    company_of, companies = _companies(ctx.gateway, list(contacts), sorted(company_props))
    engagements = ctx.ledger.engagements_of(list(contacts))
    types = ctx.ledger.property_types()
    now = ctx.clock()
    assessments = {
        contact_id: _assess(ctx.model, props, companies.get(company_of.get(contact_id, ""), {}),
                            engagements.get(contact_id, []), now, types)
        for contact_id, props in contacts.items()
    }  # fmt: skip
    writes = {cid: plan_score_writes(a, contacts[cid], now) for cid, a in assessments.items()}
    writes = {cid: props for cid, props in writes.items() if props}
    refused = ctx.gateway.update_objects("contact", writes) if writes else {}
    for contact_id, reason in refused.items():
        logger.error("drain.write-refused", extra={"contact_id": contact_id, "reason": reason})
    assessed = [
        _assessed(cid, company_of.get(cid), a, changed=cid in writes and cid not in refused, now=now)
        for cid, a in assessments.items()
    ]
    ctx.ledger.record_assessed(assessed, missing, refused, watermark, now)
    return DrainReport(
        claimed=len(contact_ids),
        written=len(writes) - len(refused),
        unchanged=len(assessments) - len(writes),
        missing=len(missing),
        refused=len(refused),
    )


def _companies(
    gateway: HubSpotGateway, contact_ids: list[str], properties: list[str]
) -> tuple[dict[str, str], dict[str, Properties]]:
    """Return each contact's primary company id and those companies' properties."""
    if not properties or not contact_ids:
        return {}, {}
    links = gateway.read_associations("contact", "company", contact_ids)
    company_of = {cid: primary for cid, linked in links.items() if (primary := primary_company(linked))}
    companies = gateway.read_objects("company", sorted(set(company_of.values())), properties)
    return company_of, companies


def primary_company(linked: Sequence[tuple[str, int]]) -> str | None:
    """Return the primary company among a contact's company associations (else the first one)."""
    for company_id, type_id in linked:
        if type_id == PRIMARY_CONTACT_TO_COMPANY:
            return company_id
    return linked[0][0] if linked else None


def _assess(
    model: ScoringModel,
    contact: Properties,
    company: Properties,
    engagements: Sequence[EngagementRecord],
    now: datetime,
    types: Mapping[str, str],
) -> Assessment:
    events = [EngagementEvent(record.type, record.occurred_at) for record in engagements]
    return assess(model, contact, company, events, now, types)


def _assessed(
    contact_id: str, company_id: str | None, assessment: Assessment, changed: bool, now: datetime
) -> AssessedContact:
    return AssessedContact(
        contact_id=contact_id,
        company_id=company_id,
        fit=assessment.fit,
        engagement=assessment.engagement,
        score=assessment.score,
        grade=assessment.grade,
        stage=assessment.stage,
        reasons=render_reasons(assessment.reasons),
        model=assessment.model,
        assessed_at=now,
        changed=changed,
    )
