"""The demo portal: a seeded, reproducible set of companies and contacts, and a few buyers' actions.

Every change goes into the twin the way HubSpot's own processes would make it, and the webhook events HubSpot
would send for it are delivered, signed, to Leadflow's receiver.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hubspot_twin import Twin
from hubspot_twin.webhooks import EventFactory, deliver

COMPANIES = [
    ("Kessler Maschinenbau", "kessler-maschinenbau.de", "MACHINERY", 420, "Germany"),
    ("Alpenwerk Automation", "alpenwerk.at", "INDUSTRIAL_AUTOMATION", 180, "Austria"),
    ("Brightline Software", "brightline.io", "COMPUTER_SOFTWARE", 85, "Germany"),
    ("Zürcher Präzision", "zuercher-praezision.ch", "MACHINERY", 1200, "Switzerland"),
    ("Northwind Retail", "northwind-retail.com", "RETAIL", 3000, "United States"),
    ("Helios Health", "helios-health.de", "HOSPITAL_HEALTH_CARE", 650, "Germany"),
    ("Fjord Logistics", "fjord-logistics.no", "LOGISTICS_AND_SUPPLY_CHAIN", 240, "Norway"),
    ("Quantum Ledger", "quantumledger.co.uk", "FINANCIAL_SERVICES", 35, "United Kingdom"),
    ("Rheintal Robotics", "rheintal-robotics.de", "INDUSTRIAL_AUTOMATION", 60, "Germany"),
    ("Lumen Analytics", "lumen-analytics.fr", "COMPUTER_SOFTWARE", 900, "France"),
    ("Bauer Antriebe", "bauer-antriebe.de", "ELECTRICAL_ELECTRONIC_MANUFACTURING", 310, "Germany"),
    ("Oakridge Studio", "oakridge.studio", "DESIGN", 12, "United States"),
]
FIRST_NAMES = ["Anna", "Jonas", "Lea", "Felix", "Mia", "Lukas", "Sofia", "Elias", "Emma", "Noah", "Clara", "Paul"]
LAST_NAMES = ["Keller", "Brandt", "Hofer", "Weber", "Novak", "Schmid", "Larsen", "Dubois", "Meyer", "Fischer"]
ROLES = [
    ("Managing Director", "DECISION_MAKER"),
    ("Head of Finance", "BUDGET_HOLDER"),
    ("Operations Manager", "CHAMPION"),
    ("Maintenance Engineer", "END_USER"),
    ("IT Administrator", "INFLUENCER"),
    ("Procurement Lead", "BLOCKER"),
]
FREE_MAIL = ["gmail.com", "gmx.de", "web.de", "yahoo.com"]
JOURNEY_CONTACTS = (0, 1, 5, 6, 14)  # the seeded contacts whose journeys the demo plays
MIN_CONTACTS = max(JOURNEY_CONTACTS) + 1


@dataclass(frozen=True)
class DemoContact:
    id: str
    name: str
    company_id: str
    company_name: str


@dataclass
class Portal:
    """The seeded portal, and the way to make changes that HubSpot reports as webhooks."""

    twin: Twin
    webhook_url: str
    client_secret: str
    contacts: list[DemoContact]
    events: EventFactory
    delivered: int = 0

    def send(self, events: Sequence[dict[str, Any]]) -> None:
        """Deliver events as HubSpot does: signed batches of at most 100."""
        for start in range(0, len(events), 100):
            result = deliver(self.webhook_url, events[start : start + 100], self.client_secret)
            if result.status != 204:
                raise RuntimeError(f"the webhook receiver answered {result.status}: {result.body}")
            self.delivered += 1

    def contact_action(self, contact: DemoContact, name: str, value: str) -> dict[str, Any]:
        """Set a contact property as HubSpot's own processes do; return the event HubSpot would send."""
        self.twin.update_object("contacts", contact.id, {name: value}, system=True)
        return self.events.property_change("contact", contact.id, name, value, source="FORM")


def seed_portal(twin: Twin, count: int, seed: int) -> list[DemoContact]:
    """Create the companies and `count` contacts (some with free-mail addresses or missing phones)."""
    rng = random.Random(seed)
    companies = [
        twin.create_object(
            "companies",
            {
                "name": n,
                "domain": d,
                "industry": i,
                "numberofemployees": str(e),
                "country": c,
                "annualrevenue": str(e * 180_000),
            },
        )
        for n, d, i, e, c in COMPANIES
    ]
    contacts = []
    for index in range(count):
        company_index = index % len(COMPANIES)
        contacts.append(_seed_contact(twin, rng, index, companies[company_index], company_index))
    return contacts


def _seed_contact(twin: Twin, rng: random.Random, index: int, company_id: str, company_index: int) -> DemoContact:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    company, domain, _industry, _employees, country = COMPANIES[company_index]
    title, role = ROLES[(index // len(COMPANIES) + company_index) % len(ROLES)]
    free_mail = index % 7 == 6
    email_domain = rng.choice(FREE_MAIL) if free_mail else domain
    properties = {
        "firstname": first,
        "lastname": last,
        "email": f"{first}.{last}.{index}@{email_domain}".lower(),
        "jobtitle": title,
        "hs_buying_role": role,
        "company": company,
        "country": country,
    }
    if index % 5 != 4:
        properties["phone"] = f"+49 30 {rng.randint(1_000_000, 9_999_999)}"
    contact_id = twin.create_object("contacts", properties)
    twin.associate("contacts", contact_id, "companies", company_id, primary=True)
    return DemoContact(contact_id, f"{first} {last}", company_id, company)


def play_buyer_journeys(portal: Portal, say: Callable[[str], None]) -> None:
    """Play a handful of buyers' actions, and the webhooks HubSpot sends for them."""
    contacts = portal.contacts
    portal.send([portal.events.creation("contact", c.id) for c in contacts])
    say(f"  {len(contacts)} contacts created in the portal → contact.creation webhooks")

    anna, ben, eva, dan, clara = (contacts[i] for i in JOURNEY_CONTACTS)
    day = [
        portal.contact_action(anna, "recent_conversion_event_name", "Whitepaper: Predictive maintenance 2026"),
        portal.contact_action(anna, "recent_conversion_event_name", "Demo request (pricing page)"),
        *_clicks(portal, anna, 2),
    ]
    say(f"  {anna.name}: whitepaper, demo request, two newsletter clicks — all today")
    ready = [
        *[
            portal.contact_action(c, "recent_conversion_event_name", f"Whitepaper: Guide {n}")
            for c in (ben, clara)
            for n in (1, 2, 3)
        ],
        *[
            portal.contact_action(c, "recent_conversion_event_name", "Webinar: Smart factory live")
            for c in (ben, clara)
        ],
        *[portal.contact_action(c, "recent_conversion_event_name", "Request a demo") for c in (ben, clara)],
    ]
    say(f"  {ben.name} and {clara.name}: three whitepapers, a webinar and a demo request ({clara.name} has no phone)")
    student = [
        portal.contact_action(dan, "recent_conversion_event_name", "Whitepaper: Student edition"),
        *_clicks(portal, dan, 6),
    ]
    say(f"  {dan.name} (free-mail address): a whitepaper and six newsletter clicks (capped at 10 points)")
    portal.send(day + ready + student)
    portal.send(list(reversed(day)))
    say("  one batch delivered twice, the second time reversed — nothing may double")

    meeting = portal.twin.create_object(
        "meetings",
        {"hs_timestamp": _now_iso(), "hs_meeting_title": "Discovery call"},
        associations=[
            {"to": {"id": eva.id}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 200}]}
        ],
    )
    portal.send([portal.events.object_creation("0-47", meeting)])
    say(f"  {eva.name}: a meeting booked (recorded as meeting_booked; the default model does not weigh it)")

    portal.twin.update_object("companies", eva.company_id, {"industry": "INDUSTRIAL_AUTOMATION"})
    portal.send([portal.events.property_change("company", eva.company_id, "industry", "INDUSTRIAL_AUTOMATION")])
    say(f"  {eva.company_name} moved into a target industry → its contacts are re-scored")


def _clicks(portal: Portal, contact: DemoContact, count: int) -> list[dict[str, Any]]:
    now_ms = int(time.time() * 1000)
    return [
        portal.contact_action(contact, "hs_email_last_click_date", str(now_ms - (count - n) * 60_000))
        for n in range(count)
    ]


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
