"""The backtest's shell: read what the replay needs, page by page, and run it (docs/calibration.md, Backtest).

Contacts come from the ledger a page at a time (memory stays bounded by the pages in flight, plus the report's
per-contact differences and the KPI facts): their engagements and states from the ledger, their values and their
company's from HubSpot — the current ones by batch reads of 100, the older ones from the property histories (50 per
request). A property HubSpot keeps no history of is used with today's value, and the report counts those contacts.
With several workers, pages are replayed in forked processes while this one reads the next pages (workers.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from app.ledger.records import ContactStateRecord
from app.ledger.store import Ledger
from app.rules.calibration.backtest import Backtest, BacktestReport, BacktestWindow, HandoverRules
from app.rules.calibration.histories import versions_of
from app.rules.calibration.outcomes import Horizon
from app.rules.calibration.replay import ReplayContact, Versions
from app.rules.handover.config import HandoverConfig
from app.rules.handover.routing_config import RoutingConfig
from app.rules.kpis.facts import LeadCycle
from app.rules.scoring.model import ScoringModel
from app.sync.calibration.workers import page_replays
from app.sync.hubspot.gateway import PRIMARY_COMPANY_ID, HubSpotGateway
from app.sync.kpis.facts import ledger_facts

PAGE_SIZE = 500  # contacts per page: five batch reads of values, ten of histories


@dataclass(frozen=True)
class BacktestContext:
    ledger: Ledger
    gateway: Callable[[], HubSpotGateway]
    model: ScoringModel  # the running service's
    handover: HandoverConfig | None
    routing: RoutingConfig | None


def run_backtest(
    ctx: BacktestContext,
    candidate: ScoringModel,
    window: BacktestWindow,
    horizon: Horizon,
    page_size: int = PAGE_SIZE,
    progress: Callable[[int], None] = lambda _n: None,
    workers: int = 1,
) -> BacktestReport:
    """Replay every contact of the ledger under the current model and `candidate`, and compare; `workers`: the
    processes replaying pages side by side while this one reads the next (1: all in this process)."""
    make = partial(Backtest, ctx.model, candidate, window, HandoverRules.of(ctx.handover, ctx.routing), horizon)
    with page_replays(make, workers) as replays:  # forked before any connection is opened
        cycles = _cycles_by_contact(ledger_facts(ctx.ledger, ctx.model.qualified_stages))
        gateway = ctx.gateway()
        names = property_names(ctx.model, candidate, ctx.routing)
        types = ctx.ledger.contacts.property_types()  # the portal's, as the drain converts values with them
        for page in ctx.ledger.contacts.pages(page_size):
            contacts = replay_contacts(ctx.ledger, gateway, names, page, types)
            replays.add([(contact, cycles.get(contact.contact_id, ())) for contact in contacts])
            progress(replays.report.contacts)
        return replays.finish()


def _cycles_by_contact(facts: Sequence[LeadCycle]) -> dict[str, list[LeadCycle]]:
    found: dict[str, list[LeadCycle]] = defaultdict(list)
    for cycle in facts:
        if cycle.contact is not None:
            found[cycle.contact].append(cycle)
    return dict(found)


def property_names(
    current: ScoringModel, candidate: ScoringModel, routing: RoutingConfig | None
) -> tuple[list[str], list[str]]:
    """The contact and the company properties either model (or routing's territories) reads."""
    contact, company = set[str](), set[str]()
    for reads in (current.referenced_properties(), candidate.referenced_properties()):
        contact.update(reads[0])
        company.update(reads[1])
    if routing is not None:
        contact.update(routing.referenced_properties()[0])
        company.update(routing.referenced_properties()[1])
    return sorted(contact), sorted(company)


def replay_contacts(
    ledger: Ledger,
    gateway: HubSpotGateway,
    names: tuple[list[str], list[str]],
    page: Sequence[str],
    property_types: Mapping[str, str] | None = None,
) -> Iterator[ReplayContact]:
    """What the replay needs of a page of contacts: their values and their company's over time (from the
    histories; today's where there is none, flagged, since the contact's creation), and their engagements."""
    contact_names, company_names = names
    states = ledger.contacts.states_of(page)
    events = ledger.contacts.engagements_of(page)
    current = gateway.read_objects("contact", page, [*contact_names, PRIMARY_COMPANY_ID])
    histories = gateway.read_histories("contact", page, contact_names) if contact_names else {}
    company_of = {contact_id: _company_id(current.get(contact_id, {}), states.get(contact_id)) for contact_id in page}
    companies = sorted({company_id for company_id in company_of.values() if company_id})
    reading = bool(companies and company_names)
    company_values = gateway.read_objects("company", companies, company_names) if reading else {}
    company_histories = gateway.read_histories("company", companies, company_names) if reading else {}
    for contact_id in page:
        state = states.get(contact_id)
        since = state.created_at if state is not None else None
        values = versions_of(contact_names, current.get(contact_id, {}), histories.get(contact_id, {}), since)
        company_id = company_of[contact_id]
        company = (
            versions_of(company_names, company_values.get(company_id, {}), company_histories.get(company_id, {}))
            if company_id
            else Versions()
        )
        yield ReplayContact(contact_id, values, company, tuple(events.get(contact_id, ())), property_types or {})


def _company_id(values: dict[str, str | None], state: ContactStateRecord | None) -> str | None:
    """The contact's primary company: HubSpot's today, else the one the ledger last saw."""
    return values.get(PRIMARY_COMPANY_ID) or (state.company_id if state is not None else None)
