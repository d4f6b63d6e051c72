"""HubSpot's Leads as the handover record, end to end (SQLite and PostgreSQL, a real Redis, the twin over HTTP).

`leadflow setup` finds the portal's lead pipeline; a contact that becomes SQL gets exactly one Lead, owned by the
routed owner, associated with the contact (primary, 578) and its company, carrying Leadflow's score, grade, model,
reasons and SLA due time. Reps work the Lead in HubSpot: moving it to Attempting is the handover's first touch,
Qualified its acceptance, Disqualified with a reason its rejection (which recycles the lead). In a portal without
Leads the same flow creates no Lead and changes nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import replace
from datetime import timedelta

import pytest
import redis

from app import create_app
from app.ledger.records import HandoverRecord
from app.rules.scoring.writes import format_datetime
from app.rules.sla import sla_points
from app.sync.hubspot.retry import RetryPolicy
from app.sync.hubspot.sdk import SdkGateway
from app.sync.setup import run_setup
from app.sync.sla.reconcile import TouchReconcileContext, reconcile_touches
from app.sync.sla.watch import SlaWatchContext, watch_sla
from app.workers import ThreadWorker
from hubspot_twin import Twin, TwinServer
from hubspot_twin.catalog.association_types import PRIMARY
from hubspot_twin.crm.changes import ChangeSource
from hubspot_twin.simulator.portal import SALES_TEAM
from hubspot_twin.webhooks.delivery import RetrySchedule
from hubspot_twin.webhooks.dispatch import DispatchOptions
from hubspot_twin.webhooks.handmade import EventFactory, deliver
from hubspot_twin.webhooks.subscriptions import Subscription, WebhookSettings
from tests.e2e.test_handover import MQL, SQL, Portal
from tests.support.app import ACCESS_TOKEN, APP_ID, CLIENT_SECRET, make_container

POLICY = RetryPolicy(attempts=4, max_seconds=10, initial_backoff=0.01, max_backoff=0.05)
ATTEMPTING, QUALIFIED, DISQUALIFIED = "attempting-stage-id", "qualified-stage-id", "unqualified-stage-id"
LEAD_EVENTS = (
    Subscription("object.propertyChange", "hs_pipeline_stage", object_type_id="0-136"),
    Subscription("object.propertyChange", "hs_lead_disqualification_reason", object_type_id="0-136"),
)

PortalFactory = Callable[[bool], Portal]


@pytest.fixture
def make_portal(ledger_url: str, redis_client: redis.Redis) -> Iterator[PortalFactory]:
    """Return a factory of portals with or without HubSpot's Leads, set up by `leadflow setup` with handover.yaml."""
    with ExitStack() as stack:

        def start(leads: bool) -> Portal:
            twin = Twin(access_tokens={ACCESS_TOKEN}, apps={ACCESS_TOKEN: APP_ID}, leads=leads)
            owners = {email: twin.create_owner(email, *name.split(" ", 1), teams=[team])
                      for name, email, team, _ in SALES_TEAM}  # fmt: skip
            server = stack.enter_context(twin.serve())
            container = make_container(
                ledger_url,
                redis_client,
                gateway_factory=lambda: SdkGateway(ACCESS_TOKEN, server.url, (2.0, 10.0), POLICY),
                settings={"hubspot_api_base": server.url},
            )
            stack.callback(container.ledger.engine.dispose)
            run_setup(
                container.gateway(), container.ledger, container.model, container.clock,
                handover=container.handover_config, nurture=container.nurture_config,
            )  # fmt: skip
            web = stack.enter_context(TwinServer(create_app(container=container)).start())
            return Portal(twin, server.url, owners, container, f"{web.url}/webhooks/hubspot", EventFactory(4242))

        yield start


def work(portal: Portal) -> None:
    ThreadWorker(portal.container).work(burst=True, logging_level="WARNING")


def handed_over(portal: Portal, names: list[str], email: str = "jonas.meier@pumpen.de") -> tuple[str, HandoverRecord]:
    contact_id = portal.contact("Germany", email, phone="+49 30 5550")
    assert deliver(portal.webhook_url, portal.conversions(contact_id, names), CLIENT_SECRET).status == 204
    work(portal)
    return contact_id, portal.container.ledger.handovers.of_contacts([contact_id])[contact_id][-1]


def rep_moves(portal: Portal, lead_id: str, values: dict[str, str], owner_id: str) -> None:
    """The owner's HubSpot user moves the Lead in the Leads workspace; HubSpot sends its webhooks; a drain runs."""
    rep_changes(portal, "leads", lead_id, values, owner_id, LEAD_EVENTS)


def rep_changes(
    portal: Portal,
    object_type: str,
    object_id: str,
    values: dict[str, str],
    owner_id: str,
    subscriptions: tuple[Subscription, ...],
) -> None:
    """The owner's HubSpot user changes a record; HubSpot sends the webhooks subscribed to; a drain runs."""
    user = next(o["userIdIncludingInactive"] for o in portal.twin.owners() if o["id"] == owner_id)
    settings = WebhookSettings(portal.webhook_url, CLIENT_SECRET, int(APP_ID), 62515, subscriptions=subscriptions)
    dispatcher = portal.twin.start_webhooks(settings, DispatchOptions(retry=RetrySchedule.compressed(1.0)))
    try:
        portal.twin.update_object(object_type, object_id, values, source=ChangeSource("CRM_UI", f"userId:{user}"))
        assert dispatcher.wait_idle(timeout=5)
    finally:
        dispatcher.stop()
    work(portal)


def test_an_sql_gets_one_lead_with_its_owner_associations_and_leadflows_values(make_portal: PortalFactory) -> None:
    portal = make_portal(True)
    contact_id, handover = handed_over(portal, SQL)
    leads = portal.twin.live_objects("leads")
    assert len(leads) == 1 and handover.lead_id == leads[0][0]
    lead = portal.twin.get_object("leads", handover.lead_id)
    contact = portal.twin.get_object("contacts", contact_id)
    assert lead["hubspot_owner_id"] == handover.owner_id == contact["hubspot_owner_id"]
    assert (lead["hs_pipeline"], lead["hs_pipeline_stage"]) == ("lead-pipeline-id", "new-stage-id")
    assert lead["hs_lead_name"] == "Jonas Tester (pumpen.de GmbH)"
    assert lead["leadflow_cycle_id"] == f"{contact_id}-1" and lead["leadflow_stage"] == "sql"
    assert lead["leadflow_score"] == contact["leadflow_score"] and lead["leadflow_grade"] == contact["leadflow_grade"]
    assert lead["leadflow_model"] == contact["leadflow_model"]
    assert lead["hs_lead_label"] == ("HOT" if contact["leadflow_grade"].startswith("A") else "WARM")
    assert lead["hs_lead_type"] == "NEW_BUSINESS" and "+10 Demo request (1×)" in lead["leadflow_reasons"]
    assert handover.due_at is not None and lead["leadflow_sla_due_at"].startswith(
        handover.due_at.strftime("%Y-%m-%dT%H:%M")
    )
    linked = dict(portal.twin.store.associated(("leads", handover.lead_id), "contacts"))
    assert PRIMARY in linked[contact_id]
    company_id = portal.twin.primary_company_id(contact_id)
    assert portal.twin.associated_ids("leads", handover.lead_id, "companies") == [company_id]

    # The same events again, and another drain: still one Lead, and no Lead read (sales has not changed it).
    assert deliver(portal.webhook_url, portal.conversions(contact_id, SQL), CLIENT_SECRET).status == 204
    work(portal)
    assert len(portal.twin.live_objects("leads")) == 1
    assert portal.twin.request_counts().get("POST /crm/v3/objects/leads/batch/read", 0) == 0


def test_the_sqls_handover_updates_the_mqls_lead_of_the_same_cycle(make_portal: PortalFactory) -> None:
    portal = make_portal(True)
    contact_id, mql = handed_over(portal, MQL)
    assert mql.stage == "mql" and mql.lead_id is not None
    assert deliver(portal.webhook_url, portal.conversions(contact_id, SQL), CLIENT_SECRET).status == 204
    work(portal)
    sql = portal.container.ledger.handovers.of_contacts([contact_id])[contact_id][-1]
    assert (sql.stage, sql.cycle, sql.lead_id) == ("sql", 1, mql.lead_id)
    (lead,) = portal.twin.live_objects("leads")
    assert lead[2]["leadflow_stage"] == "sql" and lead[2]["hubspot_owner_id"] == sql.owner_id


def test_the_leads_stages_drive_first_touch_and_acceptance(make_portal: PortalFactory) -> None:
    portal = make_portal(True)
    contact_id, handover = handed_over(portal, SQL)
    assert handover.lead_id is not None and handover.owner_id is not None
    reconcile_touches(portal.container.provide(TouchReconcileContext))  # learns the team's users

    rep_moves(portal, handover.lead_id, {"hs_pipeline_stage": ATTEMPTING}, handover.owner_id)
    assert portal.twin.request_counts()["POST /crm/v3/objects/leads/batch/read"] == 1  # the drain read it once
    touched = portal.container.ledger.handovers.of_contacts([contact_id])[contact_id][-1]
    assert (touched.first_touch_kind, touched.first_touch_by, touched.outcome) == (
        "lead_stage",
        handover.owner_id,
        None,
    )
    assert touched.first_touch_at is not None and touched.first_touch_at >= handover.assigned_at

    rep_moves(portal, handover.lead_id, {"hs_pipeline_stage": QUALIFIED}, handover.owner_id)
    accepted = portal.container.ledger.handovers.of_contacts([contact_id])[contact_id][-1]
    assert (accepted.outcome, accepted.first_touch_at) == ("accepted", touched.first_touch_at)


def test_a_disqualified_lead_is_a_rejection_with_its_reason_and_recycles_the_contact(
    make_portal: PortalFactory,
) -> None:
    portal = make_portal(True)
    contact_id, handover = handed_over(portal, SQL)
    assert handover.lead_id is not None and handover.owner_id is not None
    values = {"hs_pipeline_stage": DISQUALIFIED, "hs_lead_disqualification_reason": "NO_BUDGET"}
    rep_moves(portal, handover.lead_id, values, handover.owner_id)
    rejected = portal.container.ledger.handovers.of_contacts([contact_id])[contact_id][-1]
    assert (rejected.outcome, rejected.outcome_reason) == ("rejected", "NO_BUDGET")
    assert portal.container.ledger.contacts.states_of([contact_id])[contact_id].qualification_cycle == 2
    assert portal.twin.get_object("contacts", contact_id)["lifecyclestage"] == "lead"
    assert rejected.first_touch_kind == "lead_stage"  # moving it out of New touched it too


def test_a_rejection_on_the_contact_disqualifies_the_cycles_open_lead(
    make_portal: PortalFactory,
) -> None:
    portal = make_portal(True)
    contact_id, handover = handed_over(portal, SQL)
    assert handover.lead_id is not None and handover.owner_id is not None
    status = (Subscription("contact.propertyChange", "hs_lead_status"),)
    rep_changes(portal, "contacts", contact_id, {"hs_lead_status": "UNQUALIFIED"}, handover.owner_id, status)
    rejected = portal.container.ledger.handovers.of_contacts([contact_id])[contact_id][-1]
    assert (rejected.outcome, rejected.outcome_reason, rejected.end_reason) == ("rejected", "not qualified", "rejected")
    work(portal)  # the next drain closes what the ended handover left open
    assert portal.twin.get_object("leads", handover.lead_id)["hs_pipeline_stage"] == DISQUALIFIED


def test_without_leads_in_the_portal_an_sql_is_handed_over_as_before(make_portal: PortalFactory) -> None:
    portal = make_portal(False)
    assert portal.container.ledger.leads.stages() is None
    contact_id, handover = handed_over(portal, SQL)
    assert handover.lead_id is None and handover.task_id is not None and handover.deal_id is not None
    contact = portal.twin.get_object("contacts", contact_id)
    assert contact["hubspot_owner_id"] == handover.owner_id and contact["lifecyclestage"] == "salesqualifiedlead"
    assert portal.container.ledger.contacts.states_of([contact_id])[contact_id].stage == "sql"


def test_a_reassignment_gives_the_untouched_lead_to_the_new_owner_with_the_new_due_time(
    make_portal: PortalFactory,
) -> None:
    portal = make_portal(True)
    contact_id, handover = handed_over(portal, SQL)
    container = portal.container
    assert container.sla is not None and handover.lead_id is not None and handover.sla_target is not None
    target = next(t for t in container.sla.targets if t.id == handover.sla_target)
    points = sla_points(container.sla, target, handover.assigned_at)
    assert points.reassignment_at is not None
    context = container.provide(SlaWatchContext)
    for moment in (*points.reminders, points.escalation_at or points.reassignment_at, points.reassignment_at):
        watch_sla(replace(context, clock=lambda at=moment: at + timedelta(seconds=1)))

    moved = container.ledger.handovers.of_contacts([contact_id])[contact_id][-1]
    assert moved.reassignments == 1 and moved.owner_id not in (None, handover.owner_id)
    lead = portal.twin.get_object("leads", handover.lead_id)
    assert lead["hubspot_owner_id"] == moved.owner_id
    assert lead["leadflow_sla_due_at"] == format_datetime(moved.sla_due_at or points.due_at)
