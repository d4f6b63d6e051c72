"""The fault suite's fixed scenario: a seeded portal of 300 contacts at 90 companies and what its buyers do.

Everything is derived from `SEED`, so every run builds the same portal (the same labels, properties and
associations) and plays the same changes. The changes go through the twin's Python API as HubSpot's own
processes make them (forms, marketing email, web analytics, a rep in the CRM), so the twin emits the webhooks.

The changes come in phases, and a run waits until Leadflow has converged after each one. Within a phase a
contact crosses at most one stage threshold, and only with its last change of the phase: whatever order the
webhooks arrive in and however the drains cut the work, a contact passes through the same stages and so gets the
same handovers. That is what lets a faulted run be compared with the clean one.

- `arrive`: 300 contacts are imported, each with its primary company (Leadflow scores their fit); three of the
  future SQLs and one quiet contact already have an owner.
- `engage`: 105 contacts download a whitepaper and request a demo (MQL where the fit allows), 90 click
  newsletters or view pricing, the contacts of two companies outside the target industries convert too.
- `qualify`: 42 of the MQLs download two more whitepapers and register for a webinar (SQL where the fit allows,
  blocked where a phone number is missing), 15 book a meeting, 4 unsubscribe, the cold contacts go on.
- `switch`: the two companies move into a target industry, so their engaged contacts become MQLs.
- `answer`: sales accept some MQL handovers and reject others (a rejection recycles the lead).
- `touch`: the owner of one SQL logs a call on it (the SLA's first touch: its clock stops, `met`).
- `watch`: the SLA watch runs in simulated time until every clock of the untouched SQLs has run out
  (tests/faults/sla.py): reminders, escalation, reassignment, and the new owner's reminders and escalation.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hubspot_twin import Twin
from hubspot_twin.crm.changes import ChangeSource
from hubspot_twin.simulator.portal import SALES_TEAM

SEED = 20261
CONTACTS = 300
COMPANIES = 90

IMPORT = ChangeSource("IMPORT", "import-1")
FORM = ChangeSource("FORM", "form-submission")
EMAIL = ChangeSource("EMAIL", "marketing-email")
ANALYTICS = ChangeSource("ANALYTICS", "web-analytics")
REP = ChangeSource("CRM_UI", "userId:9000001")

# One owner per country (config: `routing_yaml`); the Netherlands has no territory: the fallback takes them.
TERRITORY_OWNERS = {
    "Germany": "dana.fuchs@example.com",
    "Austria": "malte.krueger@example.com",
    "Switzerland": "lena.schmidt@example.com",
    "France": "sam.taylor@example.com",
    "United Kingdom": "jonas.berger@example.com",
    "United States": "priya.nair@example.com",
}
MANAGER = "olaf.otto@example.com"  # every territory owner's manager (config: tests/faults/sla.py)
COUNTRIES = ("Germany", "Germany", "Germany", "Austria", "Switzerland", "France", "United Kingdom",
             "United States", "Netherlands")  # fmt: skip
TARGET_INDUSTRIES = ("MACHINERY", "INDUSTRIAL_AUTOMATION", "COMPUTER_SOFTWARE")
OTHER_INDUSTRIES = ("RETAIL", "FINANCIAL_SERVICES", "CONSTRUCTION", "FOOD_PRODUCTION")
ROLES = ("DECISION_MAKER", "DECISION_MAKER", "BUDGET_HOLDER", "CHAMPION", "INFLUENCER", "END_USER")
FIRST = ("Anna", "Jonas", "Lea", "Felix", "Mia", "Lukas", "Sofia", "Elias", "Emma", "Noah", "Clara", "Paul")
LAST = ("Keller", "Brandt", "Hofer", "Weber", "Novak", "Schmid", "Larsen", "Dubois", "Meyer", "Fischer")
SWITCHING = (0, 1)  # the companies that change industry in the `switch` phase
PHASES = ("arrive", "engage", "qualify", "switch", "answer", "touch", "watch")  # `watch`: tests/faults/sla.py


def routing_yaml() -> str:
    """Routing that no processing order can change: keep the owner, the account's owner, one owner a country."""
    lines = [
        "strategies: [keep-owner, account-owner, territories, fallback]",
        "timezone: Europe/Berlin",
        "pools:",
    ]
    lines += [f"  - id: {_slug(country)}\n    owners: [{email}]" for country, email in TERRITORY_OWNERS.items()]
    lines.append("territories:")
    for country in TERRITORY_OWNERS:
        lines += [
            f"  - id: {_slug(country)}",
            f"    when: \"contact.country == '{country}' or company.country == '{country}'\"",
            f"    pool: {_slug(country)}",
        ]
    lines.append("fallback: olaf.otto@example.com")
    return "\n".join(lines) + "\n"


def _slug(country: str) -> str:
    return country.lower().replace(" ", "-")


@dataclass(frozen=True)
class CompanySpec:
    label: str
    properties: dict[str, str]


@dataclass(frozen=True)
class ContactSpec:
    label: str
    company: str  # the company's label
    properties: dict[str, str]


@dataclass(frozen=True)
class Design:
    """The portal and who does what: the same for every run."""

    companies: tuple[CompanySpec, ...]
    contacts: tuple[ContactSpec, ...]
    mql: tuple[str, ...]
    sql: tuple[str, ...]
    cold: tuple[str, ...]
    unsubscribing: tuple[str, ...]
    meetings: tuple[str, ...]
    switching: tuple[str, ...]  # the contacts of the companies that change industry
    owned: tuple[str, ...]  # contacts imported with an owner already (routing keeps it)


def design(seed: int = SEED) -> Design:
    """Return the scenario's portal and roles, derived from `seed` alone."""
    rng = random.Random(seed)
    companies = [_company(rng, index) for index in range(COMPANIES)]
    contacts: list[ContactSpec] = []
    for index in range(CONTACTS):
        company = companies[SWITCHING[index % 2]] if index < 8 else rng.choice(companies[2:])
        contacts.append(_contact(rng, index, company, switching=index < 8))
    labels = [c.label for c in contacts[8:]]
    rng.shuffle(labels)
    mql, cold, quiet = labels[:105], labels[105:195], labels[195:]
    sql = sorted(rng.sample(mql, 42))
    return Design(
        companies=tuple(companies),
        contacts=tuple(contacts),
        mql=tuple(sorted(mql)),
        sql=tuple(sql),
        cold=tuple(sorted(cold)),
        unsubscribing=tuple(sorted(rng.sample(cold, 4))),
        meetings=tuple(sorted(rng.sample(mql, 15))),
        switching=tuple(c.label for c in contacts[:8]),
        owned=(*sql[:3], min(quiet)),
    )


def _company(rng: random.Random, index: int) -> CompanySpec:
    if index in SWITCHING:  # outside the target industries, the right size: fit 20 (+15 in DACH) until it moves
        country, industry, employees = ("Germany", "France")[index], "RETAIL", 200 + 100 * index
    else:
        country = rng.choice(COUNTRIES)
        industry = rng.choice(TARGET_INDUSTRIES if rng.random() < 0.6 else OTHER_INDUSTRIES)
        employees = rng.choice((12, 80, 250, 600, 4000))
    name = f"{rng.choice(('Kessler', 'Alpen', 'Rhein', 'Nord', 'Helios', 'Fjord'))}{index:02d} Werke"
    properties = {"name": name, "domain": f"co{index:02d}.example", "industry": industry, "country": country,
                  "numberofemployees": str(employees), "annualrevenue": str(employees * 150_000)}  # fmt: skip
    return CompanySpec(f"co{index:02d}", properties)


def _contact(rng: random.Random, index: int, company: CompanySpec, switching: bool) -> ContactSpec:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    free_mail = not switching and rng.random() < 0.08
    domain = "gmail.com" if free_mail else company.properties["domain"]
    properties = {
        "firstname": first,
        "lastname": last,
        "email": f"{first}.{last}.{index}@{domain}".lower(),
        "hs_buying_role": "INFLUENCER" if switching else rng.choice(ROLES),
        "jobtitle": rng.choice(("Head of Operations", "Plant Manager", "CTO", "Engineer")),
        "company": company.properties["name"],
    }
    if switching or rng.random() < 0.85:
        properties["phone"] = f"+49 30 {5550000 + index}"
    if switching or rng.random() < 0.9:
        properties["country"] = company.properties["country"]
    return ContactSpec(f"c{index:03d}", company.label, properties)


@dataclass
class Portal:
    """One run's portal in the twin: the design, and the ids the twin gave its records."""

    twin: Twin
    design: Design
    owners: dict[str, str] = field(default_factory=dict)  # email → owner id
    companies: dict[str, str] = field(default_factory=dict)  # label → id
    contacts: dict[str, str] = field(default_factory=dict)  # label → id
    meetings: dict[str, str] = field(default_factory=dict)  # meeting id → the contact's label
    answered: dict[str, str] = field(default_factory=dict)  # contact label → the lead status sales set
    calls: dict[str, str] = field(default_factory=dict)  # call id → the contact's label

    def label_of(self) -> dict[str, str]:
        """Return every known id's label (contacts, companies, owners, calls, meetings)."""
        labels = {v: k for k, v in self.contacts.items()} | {v: k for k, v in self.companies.items()}
        labels |= {owner_id: email for email, owner_id in self.owners.items()}
        labels |= {call_id: f"call@{label}" for call_id, label in self.calls.items()}
        return labels | {mid: f"meeting@{label}" for mid, label in self.meetings.items()}


def seed_portal(twin: Twin, plan: Design) -> Portal:
    """Create the owners and companies (before webhooks are on: no events for them)."""
    portal = Portal(twin, plan)
    for name, email, team, _territories in SALES_TEAM:
        first, last = name.split(" ", 1)
        portal.owners[email] = twin.create_owner(email, first, last, teams=[team])
    for spec in plan.companies:
        properties = dict(spec.properties)
        if spec.label in ("co05", "co06"):  # key accounts: their owner takes every lead (account-owner)
            properties["hubspot_owner_id"] = portal.owners["olaf.otto@example.com"]
        portal.companies[spec.label] = twin.create_object("companies", properties, system=True)
    return portal


def phase_changes(portal: Portal, phase: str) -> Iterator[Callable[[], None]]:
    """Yield the changes of a phase, one callable each (so a fault can be injected between them)."""
    return {
        "arrive": _arrive,
        "engage": _engage,
        "qualify": _qualify,
        "switch": _switch,
        "answer": _answer,
        "touch": _touch,
    }[phase](portal)


def _arrive(portal: Portal) -> Iterator[Callable[[], None]]:
    for spec in portal.design.contacts:

        def create(spec: ContactSpec = spec) -> None:
            properties = dict(spec.properties)
            if spec.label in portal.design.owned:  # already owned: keep-owner
                properties["hubspot_owner_id"] = portal.owners["jonas.berger@example.com"]
            contact_id = portal.twin.create_object("contacts", properties, source=IMPORT)
            portal.contacts[spec.label] = contact_id
            company_id = portal.companies[spec.company]
            portal.twin.associate("contacts", contact_id, "companies", company_id, primary=True, source=IMPORT)

        yield create


def _engage(portal: Portal) -> Iterator[Callable[[], None]]:
    plan = portal.design
    for label in (*plan.mql, *plan.switching):
        yield lambda label=label: convert(portal, label, f"Whitepaper: OEE in practice ({label})")
    for index, label in enumerate(plan.cold):
        yield lambda label=label, index=index: _cold_touch(portal, label, index)
    for label in (*plan.mql, *plan.switching):  # the demo request comes last: the stage changes with it
        yield lambda label=label: convert(portal, label, "Request a demo")


def _qualify(portal: Portal) -> Iterator[Callable[[], None]]:
    plan = portal.design
    for label in plan.sql:
        yield lambda label=label: convert(portal, label, "Whitepaper: Predictive maintenance")
        yield lambda label=label: convert(portal, label, "Whitepaper: Retrofit guide")
    for label in plan.meetings:
        yield lambda label=label: _book_meeting(portal, label)
    for index, label in enumerate(plan.cold):
        yield lambda label=label, index=index: _cold_touch(portal, label, index + 1)
    for label in plan.unsubscribing:
        yield lambda label=label: _update(portal, label, {"hs_email_optout": "true"}, EMAIL)
    for label in plan.sql:  # the webinar comes last: 5 + 10 + 5 + 5 + 8 = 33 makes an SQL of a good fit
        yield lambda label=label: convert(portal, label, "Webinar: Smart factory live")


def _switch(portal: Portal) -> Iterator[Callable[[], None]]:
    for index in SWITCHING:
        company_id = portal.companies[f"co{index:02d}"]
        yield lambda company_id=company_id: portal.twin.update_object(
            "companies", company_id, {"industry": "MACHINERY"}, source=REP
        )


def _answer(portal: Portal) -> Iterator[Callable[[], None]]:
    """Sales answer the MQL handovers of the contacts not in the SQL group: 8 accepted, 4 rejected."""
    handed_over = [
        label
        for label in sorted(portal.contacts)
        if label not in portal.design.sql
        and portal.twin.get_object("contacts", portal.contacts[label]).get("hs_lead_status") == "NEW"
    ]
    answers = ["CONNECTED", "ATTEMPTED_TO_CONTACT"] * 4 + ["UNQUALIFIED", "BAD_TIMING"] * 2
    for label, status in zip(handed_over[::2], answers, strict=False):
        portal.answered[label] = status
        yield lambda label=label, status=status: _update(portal, label, {"hs_lead_status": status}, REP)


def _touch(portal: Portal) -> Iterator[Callable[[], None]]:
    """The owner of the first SQL with a phone number (an SQL handed over, not blocked) logs a call on it."""
    phones = {spec.label for spec in portal.design.contacts if "phone" in spec.properties}
    for label in (label for label in portal.design.sql if label in phones):
        contact = portal.twin.get_object("contacts", portal.contacts[label])
        if contact.get("leadflow_stage") == "sql" and contact.get("hubspot_owner_id"):
            yield lambda label=label, owner=contact["hubspot_owner_id"]: log_call(portal, label, owner)
            return


def log_call(portal: Portal, label: str, owner_id: str) -> None:
    """An owner logs a call on the contact in HubSpot (the twin sends the call's `object.creation` webhook)."""
    association = {"to": {"id": portal.contacts[label]}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                                     "associationTypeId": 194}]}  # fmt: skip
    properties = {"hs_timestamp": _now(), "hubspot_owner_id": owner_id, "hs_call_title": f"First call with {label}",
                  "hs_call_direction": "OUTBOUND"}  # fmt: skip
    call_id = portal.twin.create_object("calls", properties, associations=[association], source=REP)
    portal.calls[call_id] = label


def _update(portal: Portal, label: str, properties: dict[str, str], source: ChangeSource) -> None:
    system = source.change_source != "CRM_UI"
    portal.twin.update_object("contacts", portal.contacts[label], properties, system=system, source=source)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def convert(portal: Portal, label: str, form: str) -> None:
    """The contact submits a form (HubSpot's form process updates its conversion properties)."""
    time.sleep(0.002)  # each submission at its own millisecond, as HubSpot stamps real ones (date and history)
    contact = portal.twin.get_object("contacts", portal.contacts[label])
    count = int(contact.get("num_conversion_events") or 0) + 1
    properties = {"recent_conversion_event_name": form, "recent_conversion_date": _now(),
                  "num_conversion_events": str(count)}  # fmt: skip
    _update(portal, label, properties, FORM)


def _cold_touch(portal: Portal, label: str, index: int) -> None:
    """A newsletter click (2 points) or a pricing-page view (3 points): never enough for a stage."""
    if index % 2:
        _update(portal, label, {"hs_email_last_open_date": _now(), "hs_email_last_click_date": _now()}, EMAIL)
    else:
        contact = portal.twin.get_object("contacts", portal.contacts[label])
        views = int(contact.get("hs_analytics_num_page_views") or 0) + 1
        url = f"https://www.example.com/pricing?visit={views}"
        _update(portal, label, {"hs_analytics_last_url": url, "hs_analytics_num_page_views": str(views)}, ANALYTICS)


def _book_meeting(portal: Portal, label: str) -> None:
    contact_id = portal.contacts[label]
    association = {"to": {"id": contact_id}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                        "associationTypeId": 200}]}  # fmt: skip
    properties = {"hs_timestamp": _now(), "hs_meeting_title": f"Intro call with {label}"}
    meeting_id = portal.twin.create_object("meetings", properties, associations=[association], source=REP)
    portal.meetings[meeting_id] = label
