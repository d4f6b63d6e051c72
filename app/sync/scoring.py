"""Scoring a batch of claimed contacts: read them from HubSpot and the ledger, assess, hand over, write.

HubSpot requests per 100 contacts: one batch read of the contacts (their primary company's id comes with them, as
HubSpot's `associatedcompanyid`), one batch read per 100 of their companies the company cache does not hold
(skipped when nothing reads a company property), and one batch update per 100 contacts whose values changed
(skipped when none did) — the floor of the work. Handovers add the owners (when routing), a deal upsert, a task
upsert and the association creates, batched over the drain.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from app.ledger.records import AssessedContact, Backlog, ContactStateRecord, EngagementRecord
from app.logs import log_context
from app.rules import Assessment, EngagementEvent, assess, render_reasons
from app.rules.writes import SCORE_PROPERTIES, STAGE, plan_score_writes, score_values
from app.sync.company_cache import read_companies
from app.sync.gateway import PRIMARY_COMPANY_ID, Properties
from app.sync.handover import Drained, HandoverWork, apply_feedback, hand_over

if TYPE_CHECKING:
    from app.sync.drain import DrainContext

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DrainReport:
    claimed: int = 0
    written: int = 0
    unchanged: int = 0
    missing: int = 0
    refused: int = 0
    remaining: int = 0
    handovers: int = 0
    signals_processed: int = 0
    write_latencies: tuple[float, ...] = ()  # per written contact: seconds from its oldest waiting signal's arrival


def score_contacts(
    ctx: DrainContext,
    contact_ids: Sequence[str],
    read: Mapping[str, Properties] | None = None,
    watermark: int | None = None,
) -> DrainReport:
    """Re-assess these contacts, hand over those entering a stage, and write the properties that changed.

    `read`: the contacts' properties when the caller has just read them from HubSpot (a re-score reads them
    with the page that lists them), with every property `contact_properties` names; else they are read here.
    `watermark`: the ledger's watermark taken before that read (signals after it stay unprocessed).
    """
    with log_context(contact_ids=contact_ids):
        return _score_contacts(ctx, contact_ids, read, watermark)


def contact_properties(ctx: DrainContext) -> list[str]:
    """The contact properties a drain reads: what the model and the handovers use, and the primary company."""
    return sorted(_properties(ctx)[0])


def company_properties(ctx: DrainContext) -> list[str]:
    """The company properties a drain reads (none: no company is read)."""
    return sorted(_properties(ctx)[1])


def _score_contacts(
    ctx: DrainContext, contact_ids: Sequence[str], read: Mapping[str, Properties] | None, watermark: int | None
) -> DrainReport:
    if watermark is None:
        watermark = ctx.ledger.watermark()
    backlog = ctx.ledger.backlog_of(contact_ids, watermark)
    contact_props, company_props = _properties(ctx)
    if read is None:
        read = ctx.gateway.read_objects("contact", contact_ids, sorted(contact_props))
    contacts = {contact_id: read[contact_id] for contact_id in contact_ids if contact_id in read}
    missing = [contact_id for contact_id in contact_ids if contact_id not in contacts]
    company_of, companies = _companies(ctx, contacts, sorted(company_props))
    drained = _drained(ctx, contacts, company_of, companies)
    engagements = ctx.ledger.engagements_of(list(contacts))
    types = ctx.ledger.property_types()
    now = ctx.clock()
    work = apply_feedback(ctx.handovers, ctx.ledger, drained, now) if ctx.handovers else HandoverWork()
    assessments = {d.contact_id: _assess(ctx, d, engagements.get(d.contact_id, []), now, types) for d in drained}
    if ctx.handovers:
        _refresh_companies(ctx, [d for d in drained if _enters_stage(d, assessments[d.contact_id])], company_props)
        pairs = [(d, assessments[d.contact_id]) for d in drained]
        hand_over(ctx.handovers, ctx.ledger, ctx.gateway, pairs, now, work)
    writes = _writes(assessments, contacts, work, now)
    if work.first_writes:
        ctx.gateway.update_objects("contact", work.first_writes)
    refused = ctx.gateway.update_objects("contact", writes) if writes else {}
    written_at = ctx.clock()
    for contact_id, reason in refused.items():
        logger.error("drain.write-refused", extra={"contact_id": contact_id, "reason": reason})
    uncertain = ctx.gateway.uncertain_writes("contact")
    if uncertain:  # a write HubSpot never answered may land late, over a newer one: look again later
        ctx.worklist.recheck_later(sorted(uncertain), written_at.timestamp() + ctx.recheck_after_seconds)
    assessed = [
        _assessed(cid, company_of.get(cid), a, changed=cid in writes and cid not in refused, now=now)
        for cid, a in assessments.items()
    ]
    ctx.ledger.record_drain(assessed, missing, {**work.errors, **refused}, watermark, now, work.done, work.transitions)
    written = [contact_id for contact_id in writes if contact_id not in refused]
    return DrainReport(
        claimed=len(contact_ids),
        written=len(written),
        unchanged=len(assessments) - len(writes),
        missing=len(missing),
        refused=len(refused),
        handovers=len(work.done),
        signals_processed=sum(item.signals for item in backlog.values()),
        write_latencies=_latencies(backlog, written, written_at),
    )


def _latencies(backlog: Mapping[str, Backlog], written: Sequence[str], written_at: datetime) -> tuple[float, ...]:
    """Return, for each written contact with waiting signals, the seconds since the oldest of them arrived."""
    waited = (written_at - backlog[contact_id].oldest_received_at for contact_id in written if contact_id in backlog)
    return tuple(max(delta.total_seconds(), 0.0) for delta in waited)


def _properties(ctx: DrainContext) -> tuple[set[str], set[str]]:
    contact, company = ctx.model.referenced_properties()
    contact_props, company_props = {*contact, *SCORE_PROPERTIES, PRIMARY_COMPANY_ID}, set(company)
    if ctx.handovers:
        handover_contact, handover_company = ctx.handovers.properties()
        contact_props |= handover_contact
        company_props |= handover_company
    return contact_props, company_props


def _enters_stage(drained: Drained, assessment: Assessment) -> bool:
    """Return whether the contact is about to enter a stage (where a handover may route it)."""
    return assessment.stage is not None and (drained.state is None or drained.state.stage != assessment.stage)


def _refresh_companies(ctx: DrainContext, entering: Sequence[Drained], properties: set[str]) -> None:
    """Read the companies of contacts entering a stage from HubSpot, not the cache: routing reads company
    properties (the account owner, …) that Leadflow does not subscribe to, so the cache would not see them change."""
    ids = sorted({d.company_id for d in entering if d.company_id})
    if ctx.company_cache is None or not ids or not properties:
        return
    fresh = read_companies(ctx.gateway, ctx.company_cache, ids, sorted(properties), fresh=True)
    for d in entering:
        if d.company_id:
            d.company = fresh.get(d.company_id, {})


def _drained(
    ctx: DrainContext,
    contacts: Mapping[str, Properties],
    company_of: Mapping[str, str],
    companies: Mapping[str, Properties],
) -> list[Drained]:
    ids = list(contacts)
    states = ctx.ledger.states_of(ids)
    handovers = ctx.ledger.handovers_of(ids) if ctx.handovers else {}
    drained = []
    for contact_id, properties in contacts.items():
        state = states.get(contact_id)
        company_id = company_of.get(contact_id)
        drained.append(
            Drained(
                contact_id,
                properties,
                company_id,
                companies.get(company_id or "", {}),
                state,
                handovers.get(contact_id, []),
                cycle=state.qualification_cycle if state else 1,
                recycled_at=None,
            )
        )
    return drained


def _writes(
    assessments: Mapping[str, Assessment],
    contacts: Mapping[str, Properties],
    work: HandoverWork,
    now: datetime,
) -> dict[str, dict[str, str]]:
    """Merge the score writes with the handover's; the stage always shows the current assessment."""
    writes: dict[str, dict[str, str]] = {}
    for contact_id, assessment in assessments.items():
        merged = {**work.writes.get(contact_id, {}), **plan_score_writes(assessment, contacts[contact_id], now)}
        if STAGE in merged:
            merged[STAGE] = score_values(assessment)[STAGE]
            if merged[STAGE] == (contacts[contact_id].get(STAGE) or ""):
                del merged[STAGE]
        if merged:
            writes[contact_id] = merged
    return writes


def _companies(
    ctx: DrainContext, contacts: Mapping[str, Properties], properties: list[str]
) -> tuple[dict[str, str], dict[str, Properties]]:
    """Return each contact's primary company id (HubSpot keeps it on the contact) and those companies' properties."""
    company_of = {cid: company for cid, values in contacts.items() if (company := values.get(PRIMARY_COMPANY_ID))}
    if not properties:
        return company_of, {}
    wanted = sorted(set(company_of.values()))
    return company_of, read_companies(ctx.gateway, ctx.company_cache, wanted, properties)


def _assess(
    ctx: DrainContext,
    drained: Drained,
    engagements: Sequence[EngagementRecord],
    now: datetime,
    types: Mapping[str, str],
) -> Assessment:
    since = _counted_from(ctx, drained.state, drained)
    events = [EngagementEvent(e.type, e.occurred_at) for e in engagements if since is None or e.occurred_at > since]
    return assess(ctx.model, drained.contact, drained.company, events, now, types)


def _counted_from(ctx: DrainContext, state: ContactStateRecord | None, drained: Drained) -> datetime | None:
    """Return the recycle time engagement counts from, when the handover's recycle rules say so."""
    if ctx.handovers is None or not ctx.handovers.config.recycle.engagement_from_recycle:
        return None
    return drained.recycled_at or (state.recycled_at if state else None)


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
