"""The SLA watch end to end: the twin over HTTP, the official SDK, a real Redis, SQLite and PostgreSQL.

An untouched A-grade SQL (target sql-a: one business hour) gets its reminders at 50 and 80 %, its escalation to
the manager (a task) at 100 % and one reassignment at 150 % — each once, however often the watch runs — and the
contact shows its clock.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import redis

from app import create_app
from app.rules.scoring.writes import format_datetime
from app.rules.sla import sla_points
from app.sync.hubspot.sdk import SdkGateway
from app.sync.setup import run_setup
from app.sync.sla.watch import SlaWatchContext, SlaWatchReport, watch_sla
from hubspot_twin import Twin, TwinServer
from hubspot_twin.simulator.actions import FORM
from hubspot_twin.simulator.portal import SALES_TEAM
from hubspot_twin.webhooks.handmade import EventFactory
from tests.e2e.conftest import FAST_RETRIES, Pipeline
from tests.e2e.test_handover import DACH_MACHINERY, SQL
from tests.support.app import ACCESS_TOKEN, APP_ID, make_container


@pytest.fixture
def staffed(ledger_url: str, redis_client: redis.Redis) -> Iterator[tuple[Pipeline, dict[str, str]]]:
    """Leadflow on a twin with the simulator's sales team as HubSpot owners."""
    twin = Twin(access_tokens={ACCESS_TOKEN}, apps={ACCESS_TOKEN: APP_ID})
    owners = {email: twin.create_owner(email, *name.split(" ", 1), teams=[team]) for name, email, team, _ in SALES_TEAM}
    with twin.serve() as server:
        container = make_container(
            ledger_url,
            redis_client,
            gateway_factory=lambda: SdkGateway(ACCESS_TOKEN, server.url, (2.0, 10.0), FAST_RETRIES),
            settings={"hubspot_api_base": server.url},
        )
        run_setup(
            container.gateway(), container.ledger, container.model, container.clock, nurture=container.nurture_config
        )
        with TwinServer(create_app(container=container)).start() as web:
            yield Pipeline(twin, container, f"{web.url}/webhooks/hubspot", EventFactory(app_id=4242)), owners
        container.ledger.engine.dispose()


def sql_contact(pipeline: Pipeline) -> str:
    twin = pipeline.twin
    company_id = twin.create_object("companies", {"name": "Pumpen GmbH", "country": "Austria", **DACH_MACHINERY})
    contact_id = twin.create_object(
        "contacts",
        {"email": "eva.huber@pumpen.at", "firstname": "Eva", "lastname": "Huber", "country": "Austria",
         "hs_buying_role": "DECISION_MAKER", "phone": "+43 1 5550", "company": "Pumpen GmbH"},
    )  # fmt: skip
    twin.associate("contacts", contact_id, "companies", company_id, primary=True)
    events = [pipeline.events.creation("contact", contact_id)]
    for name in SQL:  # form submissions, as test_handover.py's portal plays them
        at_ms = int(time.time() * 1000)
        values = {"recent_conversion_event_name": name, "recent_conversion_date": str(at_ms)}
        twin.update_object("contacts", contact_id, values, system=True, source=FORM)
        time.sleep(0.005)
        events.append(
            pipeline.events.property_change(
                "contact", contact_id, "recent_conversion_date", str(at_ms), source="FORM", occurred_at_ms=at_ms
            )
        )
    assert pipeline.post(events) == 204
    pipeline.work()
    return contact_id


def test_an_untouched_sql_gets_its_reminders_its_escalation_and_one_reassignment_once_each(
    staffed: tuple[Pipeline, dict[str, str]],
) -> None:
    pipeline, owners = staffed
    container = pipeline.container
    contact_id = sql_contact(pipeline)
    (handover,) = container.ledger.handovers.of_contacts([contact_id])[contact_id]
    config = container.sla
    assert config is not None and handover.sla_target == "sql-a"
    target = next(t for t in config.targets if t.id == "sql-a")
    points = sla_points(config, target, handover.assigned_at)
    assert points.escalation_at is not None and points.reassignment_at is not None
    context = container.provide(SlaWatchContext)

    def watch(at: datetime) -> SlaWatchReport:
        return watch_sla(replace(context, clock=lambda: at))

    second = timedelta(seconds=1)
    moments = [points.reminders[0], points.reminders[1], points.escalation_at, points.reassignment_at]
    reports = [(watch(moment + second), watch(moment + second)) for moment in moments]
    assert [(r.reminders, r.escalations, r.reassignments) for r, _ in reports] == [
        (1, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)
    ]  # fmt: skip
    assert all((again.reminders, again.escalations, again.reassignments) == (0, 0, 0) for _, again in reports)

    moved = container.ledger.handovers.of_contacts([contact_id])[contact_id][0]
    assert (moved.escalations, moved.reassignments, moved.earlier_owners) == (1, 1, handover.owner_id)
    assert moved.owner_id not in (None, handover.owner_id)
    twin = pipeline.twin
    contact = twin.get_object("contacts", contact_id)
    assert contact["hubspot_owner_id"] == moved.owner_id
    assert twin.get_object("tasks", moved.task_id or "")["hubspot_owner_id"] == moved.owner_id
    assert twin.get_object("deals", moved.deal_id or "")["hubspot_owner_id"] == moved.owner_id
    tasks = [twin.get_object("tasks", t) for t in twin.associated_ids("contacts", contact_id, "tasks")]
    escalation = [t for t in tasks if t.get("leadflow_handover_id") == f"{handover.key}-escalation"]
    assert [t["hubspot_owner_id"] for t in escalation] == [owners["olaf.otto@example.com"]]
    assert contact["leadflow_sla_status"] == "on_track"  # the new owner's fresh clock
    assert contact["leadflow_sla_due_at"] == format_datetime(moved.sla_due_at or points.due_at)
