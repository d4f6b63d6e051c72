"""Scores that stay true when nothing happens, end to end: signed webhooks into Leadflow's web app, the decay sweep
and the drains run as RQ jobs by a worker on a real Redis, the twin over HTTP, on SQLite and PostgreSQL.

Leadflow's clock is moved forward (days of decay in a test); the truth is `leadflow assess`'s own code applied to
the contact's ledger data at that moment. After the signals of the first minute, no webhook arrives at all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis

from app import create_app
from app.bootstrap import Container, build_container
from app.rules import assess_line
from app.sync.hubspot.sdk import SdkGateway
from app.sync.setup import run_setup
from app.workers import ThreadWorker
from hubspot_twin import Twin, TwinServer
from hubspot_twin.simulator.clock import SimClock
from hubspot_twin.simulator.portal import SALES_TEAM
from hubspot_twin.webhooks.handmade import EventFactory, deliver
from tests.e2e.conftest import FAST_RETRIES
from tests.support.app import ACCESS_TOKEN, CLIENT_SECRET, make_settings

DACH_MACHINERY = {"name": "Kessler Maschinenbau", "industry": "MACHINERY", "numberofemployees": "250",
                  "country": "Germany"}  # fmt: skip
MQL = ("Whitepaper: OEE in practice", "Request a demo")  # 5 + 10 = 15 at fit 90: an MQL until 15 decays to 14
# 15 (three whitepapers, capped) + 16 (two webinars) + 10 (demo) = 41: still 32 after 30 days, so the SQL ends
# when the demo request leaves the 30-day window.
STRONG_SQL = ("Whitepaper: A", "Whitepaper: B", "Whitepaper: C", "Webinar: One", "Webinar: Two", "Request a demo")
SECOND = timedelta(seconds=1)


@dataclass
class Portal:
    twin: Twin
    container: Container
    clock: SimClock
    webhook_url: str
    events: EventFactory

    def lead(self, *forms: str, **extra: str) -> str:
        """A decision maker at a DACH machinery maker (fit 90) who submits these forms now, told by HubSpot's
        webhooks (the form name, the conversion date and count, where they changed); the worker recalls each
        conversion's form name and scores."""
        contact = {"email": "anna.keller@kessler.de", "firstname": "Anna", "lastname": "Keller",
                   "country": "Germany", "hs_buying_role": "DECISION_MAKER", "company": "Kessler", **extra}  # fmt: skip
        contact_id = self.twin.create_object("contacts", contact)
        company_id = self.twin.create_object("companies", DACH_MACHINERY)
        self.twin.associate("contacts", contact_id, "companies", company_id, primary=True)
        events = [self.events.creation("contact", contact_id)]
        for count, name in enumerate(forms, start=1):
            time.sleep(0.002)  # HubSpot stamps each submission at its own millisecond
            submitted = {"recent_conversion_event_name": name, "recent_conversion_date": str(int(time.time() * 1000)),
                         "num_conversion_events": str(count)}  # fmt: skip
            current = self.twin.get_object("contacts", contact_id)
            changed = {key: value for key, value in submitted.items() if current.get(key) != value}
            self.twin.update_object("contacts", contact_id, changed, system=True)
            events += [
                self.events.property_change("contact", contact_id, key, value, source="FORM")
                for key, value in changed.items()
            ]  # HubSpot sends a change of each value that changed
        assert deliver(self.webhook_url, events, CLIENT_SECRET).status == 204
        self.work()
        return contact_id

    def sweep_at(self, moment: datetime) -> None:
        """Run the clock's decay sweep at `moment`, and the drains it schedules, as RQ jobs."""
        self.clock.set(moment)
        self.container.jobs.enqueue("decay-sweep")
        self.work()

    def work(self) -> None:
        ThreadWorker(self.container).work(burst=True, logging_level="WARNING")

    def shown(self, contact_id: str) -> dict[str, str]:
        contact = self.twin.get_object("contacts", contact_id)
        return {
            "engagement": contact["leadflow_engagement_score"],
            "score": contact["leadflow_score"],
            "grade": contact["leadflow_grade"],
            "stage": contact.get("leadflow_stage") or "",
        }

    def truth(self, contact_id: str, at: datetime) -> dict[str, str]:
        """What `leadflow assess --at` says of the contact's ledger data (the command's own code)."""
        contact = self.twin.get_object("contacts", contact_id)
        (company_id,) = self.twin.associated_ids("contacts", contact_id, "companies")
        events = self.container.ledger.contacts.engagements_of([contact_id])[contact_id]
        line = {
            "id": contact_id,
            "contact": {k: v for k, v in contact.items() if v is not None},
            "company": {k: v for k, v in self.twin.get_object("companies", company_id).items() if v is not None},
            "events": [{"type": e.type, "occurred_at": e.occurred_at.isoformat()} for e in events],
        }
        output, ok = assess_line(self.container.model, json.dumps(line), at)
        assert ok, output
        shown = ("engagement", "score", "grade", "stage")
        return {key: "" if output[key] is None else str(output[key]) for key in shown}

    def moment_stage_changes(self, contact_id: str, start: datetime) -> datetime:
        """The first moment after `start` (to the microsecond) at which assess gives the contact another stage."""
        stage = self.truth(contact_id, start)["stage"]
        low, high = start, start + timedelta(days=365)
        assert self.truth(contact_id, high)["stage"] != stage
        while high - low > timedelta(microseconds=1):
            middle = low + (high - low) / 2
            low, high = (low, middle) if self.truth(contact_id, middle)["stage"] != stage else (middle, high)
        return high


@pytest.fixture
def portal(twin: tuple[Twin, TwinServer], ledger_url: str, redis_client: redis.Redis) -> Iterator[Portal]:
    hubspot, server = twin
    for name, email, team, _ in SALES_TEAM:
        hubspot.create_owner(email, *name.split(" ", 1), teams=[team])
    clock = SimClock(datetime.now(UTC) + timedelta(minutes=1))  # Leadflow's "now": after the webhooks' events
    container = build_container(
        make_settings(ledger_url, hubspot_api_base=server.url),
        redis=redis_client,
        gateway_factory=lambda: SdkGateway(ACCESS_TOKEN, server.url, (2.0, 10.0), FAST_RETRIES),
        clock=clock,
    )
    run_setup(container.gateway(), container.ledger, container.model, container.clock, nurture=container.nurture_config)
    with TwinServer(create_app(container=container)).start() as web:
        yield Portal(hubspot, container, clock, f"{web.url}/webhooks/hubspot", EventFactory(app_id=4242))
    container.ledger.engine.dispose()


def stages_of(portal: Portal, contact_id: str) -> list[tuple[str | None, str | None]]:
    return [(t.from_stage, t.to_stage) for t in portal.container.ledger.handovers.transitions_of(contact_id)]


def test_an_mql_by_recent_events_drops_out_within_one_sweep_with_no_webhook(portal: Portal) -> None:
    contact_id = portal.lead(*MQL)
    start = portal.clock()
    assert portal.shown(contact_id) == portal.truth(contact_id, start) == {
        "engagement": "15", "score": "105", "grade": "A3", "stage": "mql"}  # fmt: skip
    drops = portal.moment_stage_changes(contact_id, start)
    assert timedelta(days=4.3) < drops - start < timedelta(days=4.5)
    portal.sweep_at(drops - SECOND)
    assert portal.shown(contact_id)["stage"] == "mql"
    portal.sweep_at(drops + SECOND)
    assert portal.shown(contact_id) == portal.truth(contact_id, portal.clock()) == {
        "engagement": "14", "score": "104", "grade": "A3", "stage": ""}  # fmt: skip
    assert stages_of(portal, contact_id) == [(None, "mql"), ("mql", None)]


def test_an_sql_whose_demo_request_leaves_the_window_becomes_mql_with_no_webhook(portal: Portal) -> None:
    contact_id = portal.lead(*STRONG_SQL, phone="+49 30 5550")
    start = portal.clock()
    assert portal.shown(contact_id)["stage"] == "sql"
    becomes_mql = portal.moment_stage_changes(contact_id, start)
    events = portal.container.ledger.contacts.engagements_of([contact_id])[contact_id]
    (demo_at,) = [event.occurred_at for event in events if event.type == "demo_request"]
    assert timedelta(days=30) < becomes_mql - demo_at <= timedelta(days=30, microseconds=1)
    portal.sweep_at(becomes_mql - SECOND)  # decay lowered engagement meanwhile: written, still SQL
    assert portal.shown(contact_id) == portal.truth(contact_id, portal.clock())
    assert portal.shown(contact_id)["stage"] == "sql"
    portal.sweep_at(becomes_mql + SECOND)
    assert portal.shown(contact_id) == portal.truth(contact_id, portal.clock())
    assert portal.shown(contact_id)["stage"] == "mql"
    assert stages_of(portal, contact_id) == [(None, "sql"), ("sql", "mql")]
    (handover,) = portal.container.ledger.handovers.of_contacts([contact_id])[contact_id]
    assert handover.stage == "sql"  # sales has the lead: no MQL handover after the SQL one
    assert len(portal.twin.associated_ids("contacts", contact_id, "tasks")) == 1
    owner = portal.twin.get_object("contacts", contact_id)["hubspot_owner_id"]
    assert owner and owner == handover.owner_id  # still the SQL's owner


def test_a_sweep_before_anything_is_due_asks_hubspot_nothing(portal: Portal) -> None:
    contact_id = portal.lead(*MQL)
    before: Any = portal.twin.get_object("contacts", contact_id)
    portal.sweep_at(portal.clock() + timedelta(days=1))  # 15 × 0.5^(1/90) = 14.9: still 15, still MQL
    assert portal.twin.get_object("contacts", contact_id) == before
    assert portal.container.worklist.dirty_count() == 0
