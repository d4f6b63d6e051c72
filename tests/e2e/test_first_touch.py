"""The first touch end to end (SQLite and PostgreSQL, a real Redis): a lead handed over as SQL, then its owner logs
a call through the twin's API; the twin sends HubSpot's `object.creation` webhook, the worker's resolver reads the
call and its contact, and the handover records when, how and by whom it was first touched. A task another rep
completes is recorded as theirs and leaves the owner's clock running."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
from hubspot import HubSpot
from hubspot.crm.objects.calls import AssociationSpec, PublicAssociationsForObject, PublicObjectId
from hubspot.crm.objects.calls import SimplePublicObjectInputForCreate as CallInput

from app import create_app
from app.sync.hubspot.retry import RetryPolicy
from app.sync.hubspot.sdk import SdkGateway
from app.sync.setup import run_setup
from app.sync.sla.reconcile import TouchReconcileContext, reconcile_touches
from app.workers import ThreadWorker
from hubspot_twin import Twin, TwinServer
from hubspot_twin.crm.changes import ChangeSource
from hubspot_twin.simulator.portal import SALES_TEAM
from hubspot_twin.webhooks.delivery import RetrySchedule
from hubspot_twin.webhooks.dispatch import DispatchOptions
from hubspot_twin.webhooks.handmade import EventFactory, deliver
from hubspot_twin.webhooks.subscriptions import Subscription, WebhookSettings
from tests.e2e.test_handover import SQL, Portal
from tests.support.app import ACCESS_TOKEN, APP_ID, CLIENT_SECRET, make_container

REP_TOKEN = "rep-token"  # the rep's own HubSpot session: not Leadflow's app
POLICY = RetryPolicy(attempts=4, max_seconds=10, initial_backoff=0.01, max_backoff=0.05)


@pytest.fixture
def portal(ledger_url: str, redis_client: redis.Redis) -> Iterator[Portal]:
    twin = Twin(access_tokens={ACCESS_TOKEN, REP_TOKEN}, apps={ACCESS_TOKEN: APP_ID, REP_TOKEN: "777"})
    owners = {email: twin.create_owner(email, *name.split(" ", 1), teams=[team]) for name, email, team, _ in SALES_TEAM}
    with twin.serve() as server:
        container = make_container(
            ledger_url,
            redis_client,
            gateway_factory=lambda: SdkGateway(ACCESS_TOKEN, server.url, (2.0, 10.0), POLICY),
            settings={"hubspot_api_base": server.url},
        )
        run_setup(
            container.gateway(), container.ledger, container.model, container.clock, nurture=container.nurture_config
        )
        with TwinServer(create_app(container=container)).start() as web:
            yield Portal(twin, server.url, owners, container, f"{web.url}/webhooks/hubspot", EventFactory(app_id=4242))
        container.ledger.engine.dispose()


def work(portal: Portal) -> None:
    ThreadWorker(portal.container).work(burst=True, logging_level="WARNING")


def test_a_call_logged_by_the_owner_through_the_api_is_the_handovers_first_touch(portal: Portal) -> None:
    contact_id = portal.contact("Germany", "jonas.meier@pumpen.de", phone="+49 30 5550")
    assert deliver(portal.webhook_url, portal.conversions(contact_id, SQL), CLIENT_SECRET).status == 204
    work(portal)
    (handover,) = portal.container.ledger.handovers.of_contacts([contact_id])[contact_id]
    owner = portal.twin.get_object("contacts", contact_id)["hubspot_owner_id"]
    assert handover.owner_id == owner and handover.first_touch_at is None

    settings = WebhookSettings(portal.webhook_url, CLIENT_SECRET, int(APP_ID), 62515,
                               subscriptions=(Subscription("object.creation", object_type_id="0-48"),))  # fmt: skip
    dispatcher = portal.twin.start_webhooks(settings, DispatchOptions(retry=RetrySchedule.compressed(1.0)))
    try:
        rep = HubSpot(access_token=REP_TOKEN, host=portal.url)
        association = PublicAssociationsForObject(
            to=PublicObjectId(id=contact_id),
            types=[AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=194)],
        )
        logged_at = str(int(time.time() * 1000))  # now: after the assignment
        call = rep.crm.objects.calls.basic_api.create(
            CallInput(
                properties={"hs_timestamp": logged_at, "hubspot_owner_id": owner, "hs_call_title": "Intro"},
                associations=[association],
            )
        )
        assert dispatcher.wait_idle(timeout=5)
    finally:
        dispatcher.stop()
    work(portal)

    (handover,) = portal.container.ledger.handovers.of_contacts([contact_id])[contact_id]
    assert (handover.first_touch_kind, handover.first_touch_by) == ("call", owner)
    assert handover.first_touch_at is not None and handover.first_touch_at >= handover.assigned_at
    (touch,) = portal.container.ledger.touches.of_contacts([contact_id])[contact_id]
    assert (touch.source_key, touch.counted) == (f"call:{call.id}", True)


def test_a_task_completed_by_another_reps_user_is_theirs_and_the_owners_clock_runs_on(portal: Portal) -> None:
    """HubSpot names the user who completed the task (`sourceId` `userId:<id>`), not an owner: Leadflow learns the
    team's users from the owners API (`userIdIncludingInactive`) and judges the touch by its real author."""
    contact_id = portal.contact("Germany", "jonas.meier@pumpen.de", phone="+49 30 5550")
    assert deliver(portal.webhook_url, portal.conversions(contact_id, SQL), CLIENT_SECRET).status == 204
    work(portal)
    (handover,) = portal.container.ledger.handovers.of_contacts([contact_id])[contact_id]
    assert handover.task_id is not None
    reconcile_touches(portal.container.provide(TouchReconcileContext))  # learns the team's users
    users = {owner["id"]: owner["userIdIncludingInactive"] for owner in portal.twin.owners()}
    someone_else = next(owner for owner in users if owner != handover.owner_id)

    task_status = Subscription("object.propertyChange", "hs_task_status", object_type_id="0-27")
    settings = WebhookSettings(portal.webhook_url, CLIENT_SECRET, int(APP_ID), 62515, subscriptions=(task_status,))
    dispatcher = portal.twin.start_webhooks(settings, DispatchOptions(retry=RetrySchedule.compressed(1.0)))
    try:
        rep = ChangeSource("CRM_UI", f"userId:{users[someone_else]}")
        portal.twin.update_object("tasks", handover.task_id, {"hs_task_status": "COMPLETED"}, source=rep)
        assert dispatcher.wait_idle(timeout=5)
    finally:
        dispatcher.stop()
    work(portal)

    (touch,) = portal.container.ledger.touches.of_contacts([contact_id])[contact_id]
    assert (touch.kind, touch.user_id, touch.counted) == ("task", str(users[someone_else]), False)
    (handover,) = portal.container.ledger.handovers.of_contacts([contact_id])[contact_id]
    assert handover.first_touch_at is None
