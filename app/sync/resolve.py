"""The resolver: find the contacts of company and engagement-object signals, then mark them dirty; recall the
contact properties for changes awaiting a recall that their contacts' drains left (app/sync/recall.py).

A company change re-assesses every contact of the company (HubSpot's associations, plus the contacts the
ledger last saw at it, so a deleted company's contacts are found too), after dropping the company from the
company cache. A meeting or call counts as an
engagement of each contact it is associated with; one created a moment before its associations gets a
grace period before it is closed with no contacts. With an SLA, a call, sales e-mail or meeting is also a touch of
each of its contacts (app/sync/sla/touches.py), recorded with the resolution.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rq import Retry

from app.ledger.records import AWAITING_RECALL, PendingSignal, Resolution
from app.ledger.store import Ledger
from app.rules.scoring.signals import SignalRules
from app.rules.sla.policy import FirstTouch
from app.sync.hubspot.company_cache import CompanyCache
from app.sync.hubspot.errors import DailyLimitReached
from app.sync.hubspot.gateway import HubSpotGateway
from app.sync.jobs import job
from app.sync.recall import RESOLVER_TAKES_AFTER, recall_resolutions
from app.sync.sla.touches import engagement_touches
from app.worklist import Worklist

ASSOCIATION_GRACE = timedelta(minutes=10)


@dataclass(frozen=True)
class ResolveContext:
    ledger: Ledger
    gateway: HubSpotGateway
    worklist: Worklist
    rules: SignalRules
    clock: Callable[[], datetime]
    batch_size: int = 1000
    company_cache: CompanyCache | None = None
    first_touch: FirstTouch | None = None  # sla.yaml's first touch; None: engagements are no touches


@dataclass(frozen=True)
class ResolveReport:
    resolved: int = 0
    waiting: int = 0
    contacts: int = 0


@dataclass(frozen=True)
class ResolvePaused:
    """HubSpot's daily limit stopped the resolver until `paused_until` (ISO 8601); it runs again then."""

    paused_until: str


@job("resolve", needs=ResolveContext, timeout=900, retry=Retry(max=3, interval=[5, 30, 120]))
def resolve(ctx: ResolveContext) -> ResolveReport | ResolvePaused:
    """The resolver job; when HubSpot's daily limit stops it, it runs again when the limit resets."""
    try:
        return resolve_pending_signals(ctx)
    except DailyLimitReached as exc:
        ctx.worklist.schedule_at("resolve", exc.resume_at)
        return ResolvePaused(exc.resume_at.isoformat())


def resolve_pending_signals(ctx: ResolveContext) -> ResolveReport:
    """Resolve every pending signal, a page at a time, into dirty contacts.

    Signals still waiting for their associations stay pending and are paged past; the reconciler schedules
    the resolver again once they are older than the grace period.
    """
    ctx.worklist.started("resolve")
    report, after_id = ResolveReport(), 0
    while pending := ctx.ledger.signals.pending_object_signals(ctx.batch_size, after_id):
        report = _add(report, _resolve_page(ctx, pending))
        after_id = pending[-1].id
        if len(pending) < ctx.batch_size:
            break
    return report


def _resolve_page(ctx: ResolveContext, pending: Sequence[PendingSignal]) -> ResolveReport:
    now = ctx.clock()
    awaiting = [signal for signal in pending if signal.kind == AWAITING_RECALL and _left_by_drains(signal, now)]
    objects = [signal for signal in pending if signal.kind != AWAITING_RECALL]
    contacts_of = _contacts_by_object(ctx, objects)
    resolutions = [
        resolution
        for signal in objects
        if (resolution := _resolve(ctx.rules, signal, contacts_of[(signal.object_type, signal.object_id)], now))
    ]
    resolutions += recall_resolutions(ctx.gateway, ctx.rules, awaiting, now)
    changed_companies = {signal.object_id for signal in objects if signal.object_type == "company"}
    if ctx.company_cache is not None and changed_companies:  # before the contacts are drained again
        ctx.company_cache.forget(sorted(changed_companies))
    touches = engagement_touches(ctx.gateway, objects, resolutions) if ctx.first_touch is not None else []
    dirty = {contact for resolution in resolutions for contact in resolution.contact_ids}
    # Marked before the ledger closes the signals: once they are closed, nothing else would re-mark the contacts if
    # Redis failed now. Marked again after, so a drain that took them in between sees the new engagements too.
    ctx.worklist.mark_dirty(dirty, now.timestamp())
    ctx.ledger.signals.record_resolutions(resolutions, now, touches, ctx.first_touch)
    ctx.worklist.mark_dirty(dirty, now.timestamp())
    if dirty:
        ctx.worklist.schedule("drain")
    return ResolveReport(resolved=len(resolutions), waiting=len(pending) - len(resolutions), contacts=len(dirty))


def _left_by_drains(signal: PendingSignal, now: datetime) -> bool:
    """Return whether a change awaiting a recall is the resolver's: its contact's drains had their chance."""
    return signal.received_at is None or now - signal.received_at >= RESOLVER_TAKES_AFTER


def _add(total: ResolveReport, page: ResolveReport) -> ResolveReport:
    return ResolveReport(total.resolved + page.resolved, total.waiting + page.waiting, total.contacts + page.contacts)


def _contacts_by_object(ctx: ResolveContext, pending: Sequence[PendingSignal]) -> dict[tuple[str, str], list[str]]:
    ids_by_type: dict[str, set[str]] = defaultdict(set)
    for signal in pending:
        ids_by_type[signal.object_type].add(signal.object_id)
    found: dict[tuple[str, str], list[str]] = {}
    for object_type, ids in ids_by_type.items():
        links = ctx.gateway.read_associations(object_type, "contact", sorted(ids))
        known = ctx.ledger.contacts.contacts_at_companies(sorted(ids)) if object_type == "company" else {}
        for object_id in ids:
            linked = [contact for contact, _type in links.get(object_id, [])]
            found[(object_type, object_id)] = sorted({*linked, *known.get(object_id, [])})
    return found


def _resolve(rules: SignalRules, signal: PendingSignal, contacts: list[str], now: datetime) -> Resolution | None:
    engagement_types: tuple[str, ...] = ()
    if signal.kind == "engagement.created":
        if not contacts and now - signal.occurred_at < ASSOCIATION_GRACE:
            return None  # HubSpot may associate the meeting with its contacts a moment later
        engagement_types = rules.engagement_types(signal.payload)
    return Resolution(
        signal_id=signal.id,
        object_key=f"{signal.object_type}:{signal.object_id}",
        occurred_at=signal.occurred_at,
        contact_ids=tuple(contacts),
        engagement_types=engagement_types,
    )
