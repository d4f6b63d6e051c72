"""`leadflow kpis --backfill`: the lead cycles of the time before Leadflow, from HubSpot's property histories, at the
batch floor (docs/kpis.md, "Backfill").

Per 100 contacts: one page of the contact list (with `createdate`), two history reads (`lifecyclestage`,
`hs_lead_status`, `hubspot_owner_id`; HubSpot reads histories 50 objects per request) and one association read
(contact → deal); per 100 of their deals one read (`createdate`) and two history reads (`dealstage`). The cycles
(app/rules/kpis/backfill.py) replace the previous backfill's in one transaction at the end; the KPI facts join them
with the ledger's own. Run again, it reads everything again and replaces what it wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from app.ledger.store import Ledger
from app.rules.kpis.backfill import Answers, ContactHistory, DealHistory, backfilled_cycles
from app.rules.kpis.facts import LeadCycle
from app.rules.scoring.recall import PropertyVersion
from app.rules.values import to_timestamp
from app.sync.hubspot.gateway import HubSpotGateway

logger = logging.getLogger(__name__)
CONTACT_HISTORY = ("lifecyclestage", "hs_lead_status", "hubspot_owner_id")
Changes = list[tuple[datetime, str | None]]


@dataclass(frozen=True)
class BackfillContext:
    ledger: Ledger
    gateway: HubSpotGateway
    answers: Answers
    clock: Callable[[], datetime]


@dataclass
class BackfillReport:
    contacts: int = 0  # contacts read
    qualified: int = 0  # of those, reached MQL at some time in HubSpot's history
    cycles: int = 0  # lead cycles recorded
    deals: int = 0  # deals read
    without_history: int = 0  # contacts whose lifecycle stage HubSpot kept no history of
    notes: list[str] = field(default_factory=list)


def backfill_kpis(ctx: BackfillContext, progress: Callable[[int], None] = lambda _n: None) -> BackfillReport:
    """Read every contact's (and its deals') histories; record the lead cycles they show; report what it found."""
    report = BackfillReport()
    cycles: list[LeadCycle] = []
    after: str | None = None
    while True:
        page, after = ctx.gateway.list_objects("contact", after, ["createdate"])
        cycles += _page_cycles(ctx, page, report)
        progress(len(page))
        if after is None:
            break
    ctx.ledger.kpis.record_backfill(cycles, ctx.clock())
    report.cycles = len(cycles)
    logger.info("kpis.backfilled", extra={"contacts": report.contacts, "cycles": report.cycles})
    return report


def _page_cycles(ctx: BackfillContext, page: Mapping[str, Mapping[str, str | None]], report: BackfillReport
                 ) -> list[LeadCycle]:  # fmt: skip
    ids = sorted(page, key=int)
    histories = ctx.gateway.read_histories("contact", ids, CONTACT_HISTORY)
    deals_of = {contact: [deal for deal, _type in found] for contact, found in
                ctx.gateway.read_associations("contact", "deal", ids).items()}  # fmt: skip
    deals = _deals(ctx.gateway, sorted({deal for found in deals_of.values() for deal in found}, key=int))
    report.deals += len(deals)
    found: list[LeadCycle] = []
    for contact in ids:
        history = histories.get(contact, {})
        lifecycle = _changes(history.get("lifecyclestage", []))
        report.contacts += 1
        report.without_history += 0 if lifecycle else 1
        contact_history = ContactHistory(
            contact, to_timestamp(page[contact].get("createdate")), lifecycle,
            _changes(history.get("hs_lead_status", [])), _changes(history.get("hubspot_owner_id", [])),
            [deals[deal] for deal in deals_of.get(contact, []) if deal in deals],
        )  # fmt: skip
        cycles = backfilled_cycles(contact_history, ctx.answers)
        report.qualified += 1 if cycles else 0
        found += cycles
    return found


def _deals(gateway: HubSpotGateway, ids: Sequence[str]) -> dict[str, DealHistory]:
    """The deals' creation and stage changes (the gateway batches: 100 per read, 50 per history read)."""
    if not ids:
        return {}
    created = gateway.read_objects("deal", ids, ["createdate"])
    stages = gateway.read_histories("deal", ids, ["dealstage"])
    return {
        deal: DealHistory(at, _changes(stages.get(deal, {}).get("dealstage", [])))
        for deal, values in created.items()
        if (at := to_timestamp(values.get("createdate"))) is not None
    }


def _changes(versions: Sequence[PropertyVersion]) -> Changes:
    """HubSpot's versions as (when, value); the rules put them in order."""
    return [(version.timestamp, version.value) for version in versions]
