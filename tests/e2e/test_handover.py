"""Handover end to end: webhooks in → two worker processes → exactly one owner, task and deal per handover.

The twin answers 20 % of HubSpot calls with a 429 or a 5xx, every webhook is delivered three times in shuffled
order, and two `leadflow worker --burst` processes drain at once; the result must still be exactly one task per
handover, with the right owner, due date and associations, and exactly one deal per SQL.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from rq.job import Job
from rq.registry import FinishedJobRegistry
from rq.serializers import JSONSerializer

from app import create_app
from app.bootstrap import Container
from app.rules.scoring.writes import format_datetime
from app.sync.hubspot.retry import RetryPolicy
from app.sync.hubspot.sdk import SdkGateway
from app.sync.setup import run_setup
from hubspot_twin import Twin, TwinServer
from hubspot_twin.crm.changes import ChangeSource
from hubspot_twin.http.faults import FaultPlan
from hubspot_twin.http.guard import GuardConfig
from hubspot_twin.simulator.actions import FORM
from hubspot_twin.simulator.portal import SALES_TEAM
from hubspot_twin.webhooks.handmade import EventFactory, deliver
from tests.conftest import REDIS_URL, ROOT
from tests.e2e.conftest import Pipeline
from tests.support.app import ACCESS_TOKEN, APP_ID, CLIENT_SECRET, make_container

BIN = Path(sys.prefix) / "bin"
DACH_MACHINERY = {"industry": "MACHINERY", "numberofemployees": "250", "annualrevenue": "42000000"}
POLICY = RetryPolicy(attempts=8, max_seconds=60, initial_backoff=0.02, max_backoff=0.2)


@dataclass
class Portal:
    twin: Twin
    url: str
    owners: dict[str, str]  # email → owner id
    container: Container
    webhook_url: str
    events: EventFactory

    def contact(self, country: str, email: str, company_owner: str | None = None, **extra: str) -> str:
        company = {"name": f"{email.split('@')[1]} GmbH", "country": country, **DACH_MACHINERY}
        if company_owner:
            company["hubspot_owner_id"] = self.owners[company_owner]
        company_id = self.twin.create_object("companies", company)
        first_name = email.split(".", maxsplit=1)[0].title()
        properties = {"email": email, "firstname": first_name, "lastname": "Tester", "country": country,
                      "hs_buying_role": "DECISION_MAKER", "company": company["name"], **extra}  # fmt: skip
        contact_id = self.twin.create_object("contacts", properties)
        self.twin.associate("contacts", contact_id, "companies", company_id, primary=True)
        return contact_id

    def conversions(self, contact_id: str, names: list[str]) -> list[dict[str, Any]]:
        events = [self.events.creation("contact", contact_id)]
        for name in names:
            at_ms = int(time.time() * 1000)
            values = {"recent_conversion_event_name": name, "recent_conversion_date": str(at_ms)}
            self.twin.update_object("contacts", contact_id, values, system=True, source=FORM)
            time.sleep(0.005)  # HubSpot stamps each submission at its own time
            events.append(
                self.events.property_change(
                    "contact", contact_id, "recent_conversion_date", str(at_ms), source="FORM", occurred_at_ms=at_ms
                )
            )
        return events

    def deliver_events(self, events: list[dict[str, Any]]) -> int:
        """Deliver events once, signed, as HubSpot does; return Leadflow's answer."""
        return deliver(self.webhook_url, events, CLIENT_SECRET).status

    def tasks_of(self, contact_id: str) -> list[str]:
        return self.twin.associated_ids("contacts", contact_id, "tasks")

    def deals_of(self, contact_id: str) -> list[str]:
        return self.twin.associated_ids("contacts", contact_id, "deals")


MQL = ["Whitepaper: OEE in practice", "Request a demo"]  # 5 + 10 = 15: mql (fit 90)
SQL = ["Whitepaper: A", "Whitepaper: B", "Whitepaper: C", "Webinar: Smart factory live", "Request a demo"]  # 33


@pytest.fixture
def portal(ledger_url: str, redis_client: redis.Redis) -> Iterator[Portal]:
    twin = Twin(access_tokens={ACCESS_TOKEN}, apps={ACCESS_TOKEN: APP_ID}, limits=GuardConfig())
    owners = {email: twin.create_owner(email, *name.split(" ", 1), teams=[team]) for name, email, team, _ in SALES_TEAM}
    with twin.serve() as server:
        container = make_container(
            ledger_url,
            redis_client,
            gateway_factory=lambda: SdkGateway(ACCESS_TOKEN, server.url, (2.0, 10.0), POLICY),
            settings={"hubspot_api_base": server.url, "drain_batch_size": 5},
        )
        run_setup(
            container.gateway(), container.ledger, container.model, container.clock, nurture=container.nurture_config
        )
        with TwinServer(create_app(container=container)).start() as web:
            yield Portal(twin, server.url, owners, container, f"{web.url}/webhooks/hubspot", EventFactory(app_id=4242))
        container.ledger.engine.dispose()


def deliver_three_times_shuffled(portal: Portal, events: list[dict[str, Any]]) -> None:
    rng = random.Random(5)
    copies = [event for event in events for _ in range(3)]
    rng.shuffle(copies)
    for start in range(0, len(copies), 40):
        assert deliver(portal.webhook_url, copies[start : start + 40], CLIENT_SECRET).status == 204


def run_two_workers(portal: Portal, ledger_url: str) -> None:
    """Run two `leadflow worker --burst` processes at once until every dirty contact is drained."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("HUBSPOT_", "LEADFLOW_", "DATABASE_", "REDIS_"))},
        "LEADFLOW_ENV": "development",
        "HUBSPOT_ACCESS_TOKEN": ACCESS_TOKEN,
        "HUBSPOT_CLIENT_SECRET": CLIENT_SECRET,
        "HUBSPOT_APP_ID": APP_ID,
        "HUBSPOT_API_BASE": portal.url,
        "DATABASE_URL": ledger_url,
        "REDIS_URL": REDIS_URL,
        "LEADFLOW_CONFIG": str(ROOT / "config"),
        "DRAIN_DEBOUNCE_SECONDS": "0",
        "DRAIN_BATCH_SIZE": "5",
    }
    worklist = portal.container.worklist
    for _round in range(6):
        for _ in range(3):
            portal.container.jobs.enqueue("drain")  # several drains queued: both workers get one
        workers = [subprocess.Popen([str(BIN / "leadflow"), "worker", "--burst"], env=env, stderr=subprocess.PIPE,
                                    stdout=subprocess.DEVNULL) for _ in range(2)]  # fmt: skip
        for worker in workers:
            _, stderr = worker.communicate(timeout=240)
            assert worker.returncode == 0, stderr.decode()[-3000:]
        if worklist.dirty_count() == 0 and worklist.claimed_count() == 0:
            return
    raise AssertionError(f"still dirty after six rounds: {worklist.dirty_count()}")


def test_exactly_one_owner_task_and_deal_per_handover_despite_duplicates_faults_and_two_workers(
    portal: Portal, ledger_url: str
) -> None:
    guard = portal.twin.guard
    assert guard is not None
    guard.set_faults(FaultPlan(seed=11, rate_limit=0.1, server_error=0.1))  # 20 % of HubSpot calls fail
    mqls = [portal.contact("Germany", f"mql{n}.buyer@dach{n}.de") for n in range(4)]
    mqls += [portal.contact("France", f"mql{n}.buyer@fr{n}.fr") for n in range(2)]
    sqls = [portal.contact("Austria", f"sql{n}.buyer@at{n}.at", phone="+43 1 5550") for n in range(3)]
    account = portal.contact("Germany", "key.account@bigco.de", company_owner="sam.taylor@example.com")
    events = [e for c in [*mqls, account] for e in portal.conversions(c, MQL)]
    events += [e for c in sqls for e in portal.conversions(c, SQL)]
    deliver_three_times_shuffled(portal, events)

    run_two_workers(portal, ledger_url)

    ledger = portal.container.ledger
    handovers = {cid: ledger.handovers.of_contacts([cid]).get(cid, []) for cid in [*mqls, *sqls, account]}
    assert all(len(found) == 1 for found in handovers.values()), handovers
    config = portal.container.handover_config
    assert config is not None
    for contact_id, (handover,) in handovers.items():
        contact = portal.twin.get_object("contacts", contact_id)
        (task_id,) = portal.tasks_of(contact_id)
        task = portal.twin.get_object("tasks", task_id)
        assert handover.status == "done" and handover.task_id == task_id
        assert contact["hubspot_owner_id"] == task["hubspot_owner_id"] == handover.owner_id
        # config/sla.yaml times every handed-over stage: the task is due at the SLA's due time (docs/sla.md).
        assert handover.sla_due_at is not None and handover.due_at == handover.sla_due_at
        assert task["hs_timestamp"] == format_datetime(handover.sla_due_at)
        company_id = portal.twin.primary_company_id(contact_id)
        assert portal.twin.associated_ids("tasks", task_id, "companies") == [company_id]
        if contact_id in sqls:
            (deal_id,) = portal.deals_of(contact_id)
            assert handover.deal_id == deal_id
            assert portal.twin.associated_ids("deals", deal_id, "companies") == [company_id]
            assert portal.twin.associated_ids("tasks", task_id, "deals") == [deal_id]
            assert contact["lifecyclestage"] == "salesqualifiedlead"
        else:
            assert portal.deals_of(contact_id) == []
            assert contact["lifecyclestage"] == "marketingqualifiedlead"
    assert len(portal.twin.live_objects("tasks")) == len(handovers)
    assert len(portal.twin.live_objects("deals")) == len(sqls)

    by_id = {owner_id: email for email, owner_id in portal.owners.items()}
    owners = {cid: by_id[found[0].owner_id or ""] for cid, found in handovers.items()}
    dach = {"dana.fuchs@example.com", "malte.krueger@example.com", "lena.schmidt@example.com"}
    assert {owners[c] for c in [*mqls[:4], *sqls]} <= dach
    assert {owners[c] for c in mqls[4:]} <= {
        "sam.taylor@example.com",
        "jonas.berger@example.com",
        "priya.nair@example.com",
    }
    assert owners[account] == "sam.taylor@example.com"
    assert handovers[account][0].routing_strategy == "account-owner"
    assert sum(guard.stats()["faults"].values()) > 0, "the run must have met HubSpot's failures"
    drains = FinishedJobRegistry(queue=portal.container.queue).get_job_ids()
    workers = {Job.fetch(job_id, connection=portal.container.redis, serializer=JSONSerializer).worker_name
               for job_id in drains}  # fmt: skip
    assert len(workers) == 2, f"both worker processes must have drained: {workers}"


def test_the_dry_run_agrees_with_what_then_happens(portal: Portal) -> None:
    from app.rules import preview
    from app.rules.handover.types import RoutingState

    container = portal.container
    routing = container.routing_config
    assert routing is not None
    team = {owner.id: owner for owner in container.gateway().owners()}
    snapshot = container.ledger.handovers.routing_state()
    planned = preview(routing, [], team, RoutingState(snapshot.cursors, snapshot.open_handovers), container.clock(), 4)
    dach_preview = [d.owner_id for d, territory in zip(planned, [t.id for t in routing.territories for _ in range(4)],
                                                        strict=True) if territory == "dach"]  # fmt: skip
    contacts = [portal.contact("Germany", f"lead{n}.x@dry{n}.de") for n in range(4)]
    pipeline = Pipeline(portal.twin, container, portal.webhook_url, portal.events)
    for contact_id in contacts:  # one at a time, so they are routed in this order
        assert pipeline.post(portal.conversions(contact_id, MQL)) == 204
        pipeline.work()
    actual = [container.ledger.handovers.of_contacts([c])[c][0].owner_id for c in contacts]
    assert actual == dach_preview


def test_a_rejected_lead_is_recycled_and_handed_over_again_in_its_next_cycle(portal: Portal) -> None:
    container = portal.container
    pipeline = Pipeline(portal.twin, container, portal.webhook_url, portal.events)
    contact_id = portal.contact("Germany", "anna.recycle@kessler.de")
    assert pipeline.post(portal.conversions(contact_id, MQL)) == 204
    pipeline.work()
    (first,) = container.ledger.handovers.of_contacts([contact_id])[contact_id]
    owner = portal.twin.get_object("contacts", contact_id)["hubspot_owner_id"]

    rep = ChangeSource("CRM_UI", "userId:1")
    portal.twin.update_object("contacts", contact_id, {"hs_lead_status": "BAD_TIMING"}, source=rep)
    assert pipeline.post([portal.events.property_change("contact", contact_id, "hs_lead_status", "BAD_TIMING")]) == 204
    pipeline.work()
    recycled = portal.twin.get_object("contacts", contact_id)
    assert recycled["lifecyclestage"] == "lead"
    assert recycled.get("leadflow_stage") is None  # engagement counts from the recycle: no stage any more
    assert recycled.get("hs_lead_status") is None
    state = container.ledger.contacts.states_of([contact_id])[contact_id]
    assert state.qualification_cycle == 2

    assert pipeline.post(portal.conversions(contact_id, MQL)) == 204
    pipeline.work()
    cycles = container.ledger.handovers.of_contacts([contact_id])[contact_id]
    assert [(h.cycle, h.status, h.outcome, h.outcome_reason) for h in cycles] == [
        (1, "recycled", "rejected", "bad timing"),
        (2, "done", None, None),
    ]
    assert first.owner_id == owner
    assert len(portal.tasks_of(contact_id)) == 2
    assert portal.twin.get_object("contacts", contact_id)["lifecyclestage"] == "marketingqualifiedlead"
    transitions = [(t.from_stage, t.to_stage, t.cycle) for t in container.ledger.handovers.transitions_of(contact_id)]
    assert transitions == [(None, "mql", 1), ("mql", None, 2), (None, "mql", 2)]


def test_an_accepted_lead_keeps_its_handover_and_the_answer_is_recorded(portal: Portal) -> None:
    container = portal.container
    pipeline = Pipeline(portal.twin, container, portal.webhook_url, portal.events)
    contact_id = portal.contact("Germany", "ben.accept@kessler.de")
    pipeline.post(portal.conversions(contact_id, MQL))
    pipeline.work()
    portal.twin.update_object("contacts", contact_id, {"hs_lead_status": "CONNECTED"})
    pipeline.post([portal.events.property_change("contact", contact_id, "hs_lead_status", "CONNECTED")])
    (task_id,) = portal.tasks_of(contact_id)
    portal.twin.update_object("tasks", task_id, {"hs_task_status": "COMPLETED"})
    pipeline.post([portal.events.event("object.propertyChange", objectTypeId="0-27", objectId=int(task_id),
                                       propertyName="hs_task_status", propertyValue="COMPLETED")])  # fmt: skip
    pipeline.work()
    (handover,) = container.ledger.handovers.of_contacts([contact_id])[contact_id]
    assert (handover.outcome, handover.status) == ("accepted", "done")
    assert handover.first_response_at is not None and handover.task_completed_at is not None
    assert Counter(h.cycle for h in container.ledger.handovers.of_contacts([contact_id])[contact_id]) == {1: 1}


def test_leadflow_route_previews_the_next_owners_of_each_territory(
    portal: Portal, ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from app.cli import main

    environment = {
        "LEADFLOW_ENV": "development", "HUBSPOT_ACCESS_TOKEN": ACCESS_TOKEN, "HUBSPOT_API_BASE": portal.url,
        "DATABASE_URL": ledger_url, "REDIS_URL": REDIS_URL, "LEADFLOW_CONFIG": str(ROOT / "config"),
    }  # fmt: skip
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["route", "--next", "4"])  # a preview without --dry-run
    assert result.exit_code == 0, result.output
    assert CliRunner().invoke(main, ["route", "--dry-run", "--next", "4"]).output == result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == ["dach"] * 4 + ["international"] * 4
    assert [" ".join(line.split()[1:3]) for line in lines[:4]] == [
        "Dana Fuchs",
        "Malte Krüger",
        "Lena Schmidt",
        "Dana Fuchs",
    ]


def test_routing_reads_the_account_owner_fresh_though_the_company_is_cached(portal: Portal) -> None:
    """The company cache only hears of changes to properties Leadflow subscribes to; the account owner is not one:
    a contact entering a stage has its company read again, so it goes to the owner the company has now."""
    container = portal.container
    pipeline = Pipeline(portal.twin, container, portal.webhook_url, portal.events)
    contact_id = portal.contact("Germany", "anna.account@kessler.de", company_owner="dana.fuchs@example.com")
    assert pipeline.post([portal.events.creation("contact", contact_id)]) == 204
    pipeline.work()  # scored, no stage yet: the company is now in the cache, owned by Dana
    company_id = portal.twin.primary_company_id(contact_id)
    assert company_id is not None
    new_owner = portal.owners["lena.schmidt@example.com"]
    portal.twin.update_object("companies", company_id, {"hubspot_owner_id": new_owner})  # no webhook for this one
    assert pipeline.post(portal.conversions(contact_id, MQL)) == 204
    pipeline.work()
    (handover,) = container.ledger.handovers.of_contacts([contact_id])[contact_id]
    assert (handover.routing_strategy, handover.owner_id) == ("account-owner", new_owner)
