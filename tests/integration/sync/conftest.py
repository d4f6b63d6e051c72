"""Leadflow's shell on the in-memory HubSpot: a real ledger and a real Redis, no HTTP.

`Portal` seeds the fake as a user in HubSpot would, delivers webhook events to the intake as HubSpot would (the
ledger records them, the worklist marks their contacts dirty) and runs the drain; the clock stands still until
a test moves it.

The ledger is SQLite only: these tests are about the shell, not the store (the ledger's own tests and the e2e
tests run on SQLite and PostgreSQL), and a PostgreSQL schema per test would double their time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
import redis

from app.bootstrap import Container, build_container
from app.sync.drain import DrainContext, DrainOutcome, drain_dirty_contacts
from app.sync.hubspot.fake import InMemoryHubSpot
from app.webhooks.events import HubSpotEvent
from tests.conftest import migrate_url
from tests.support.app import make_settings

# config/routing.yaml's team and handover.yaml's marketing-ops owner, as HubSpot's owners.
TEAM = {
    "dana.fuchs@example.com": "Dana Fuchs",
    "malte.krueger@example.com": "Malte Krüger",
    "lena.schmidt@example.com": "Lena Schmidt",
    "sam.taylor@example.com": "Sam Taylor",
    "jonas.berger@example.com": "Jonas Berger",
    "priya.nair@example.com": "Priya Nair",
    "olaf.otto@example.com": "Olaf Otto",
    "ops@example.com": "Marketing Ops",
}
MACHINERY = {"industry": "MACHINERY", "numberofemployees": "250", "annualrevenue": "42000000"}
MQL = ("Whitepaper: OEE in practice", "Request a demo")  # 5 + 10 = 15: mql at fit 90
SQL = ("Whitepaper: A", "Whitepaper: B", "Whitepaper: C", "Webinar: Smart factory live", "Request a demo")  # 33


@dataclass
class Clock:
    now: datetime = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, in business hours

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Portal:
    hubspot: InMemoryHubSpot
    container: Container
    clock: Clock
    owners: dict[str, str]  # email → owner id
    _event_ids: Iterator[int] = field(default_factory=lambda: count(1))

    def lead(self, email: str, country: str = "Germany", **extra: str) -> str:
        """Add a decision maker at a machinery maker of their own (fit 90 in DACH); return the contact's id."""
        company_name = f"{email.split('@')[1]} GmbH"
        company = self.hubspot.create("company", {"name": company_name, "country": country, **MACHINERY})
        contact = self.hubspot.create(
            "contact",
            {"email": email, "firstname": email.split(".", 1)[0].title(), "lastname": "Tester", "country": country,
             "hs_buying_role": "DECISION_MAKER", "company": company_name, **extra},
        )  # fmt: skip
        self.hubspot.associate("contact", contact, "company", company, primary=True)
        return contact

    def event(self, subscription: str, object_id: str, **fields: str) -> HubSpotEvent:
        at = int(self.clock().timestamp() * 1000)
        return HubSpotEvent.model_validate(
            {"subscriptionType": subscription, "eventId": next(self._event_ids), "subscriptionId": 1, "portalId": 1,
             "occurredAt": at, "objectId": int(object_id), **fields},
        )  # fmt: skip

    def created(self, *contact_ids: str) -> None:
        """Deliver HubSpot's `contact.creation` event of each contact."""
        self.deliver(*(self.event("contact.creation", contact_id) for contact_id in contact_ids))

    def changed(self, contact_id: str, **values: str) -> None:
        """Change contact properties in HubSpot and deliver the events HubSpot sends about it."""
        for name, value in values.items():
            self.hubspot.change("contact", contact_id, {name: value})
            self.deliver(self.event("contact.propertyChange", contact_id, propertyName=name, propertyValue=value))

    def converts(self, contact_id: str, *forms: str) -> None:
        """The contact submits these forms, one after the other: HubSpot sets the form name, the conversion date
        and count, and sends the events of the values that changed; the contact's drain recalls the form names."""
        for form in forms:
            current = self.contact(contact_id)
            at = self.clock()
            values = {"recent_conversion_event_name": form, "recent_conversion_date": str(int(at.timestamp() * 1000)),
                      "num_conversion_events": str(int(current.get("num_conversion_events", "0")) + 1)}  # fmt: skip
            changed = {name: value for name, value in values.items() if current.get(name) != value}
            self.hubspot.change("contact", contact_id, changed, at)
            self.deliver(
                *(self.event("contact.propertyChange", contact_id, propertyName=n, propertyValue=v)
                  for n, v in changed.items())
            )  # fmt: skip
            self.clock.advance(seconds=1)

    def deliver(self, *events: HubSpotEvent) -> None:
        self.container.webhook_intake().accept(events)

    def drain(self) -> DrainOutcome:
        return drain_dirty_contacts(self.container.provide(DrainContext))

    def contact(self, contact_id: str) -> dict[str, str]:
        return self.hubspot.get("contact", contact_id)


@pytest.fixture
def ledger_url(tmp_path: Path) -> str:
    """The URL of an empty, migrated SQLite ledger (this folder's tests do not run on PostgreSQL: see above)."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    migrate_url(url)
    return url


@pytest.fixture
def portal(ledger_url: str, redis_client: redis.Redis) -> Iterator[Portal]:
    hubspot = InMemoryHubSpot()
    owners = {email: hubspot.add_owner(email, name) for email, name in TEAM.items()}
    clock = Clock()
    settings = make_settings(ledger_url)
    container = build_container(settings, redis=redis_client, gateway_factory=lambda: hubspot, clock=clock)
    yield Portal(hubspot, container, clock, owners)
    container.ledger.engine.dispose()
