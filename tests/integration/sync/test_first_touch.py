"""The first touch on the in-memory HubSpot, with the shipped config/sla.yaml: calls, sales e-mails and meetings
logged on the contact (read in batches by the resolver), the handover task completed, the lead status and the
deal stage moved by sales, and HubSpot's own first-engagement date read by the touch reconciliation."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from app.ledger.records import HandoverRecord, TouchRecord
from app.sync.resolve import ResolveContext, resolve_pending_signals
from app.sync.sla.reconcile import TouchReconcileContext, reconcile_touches
from tests.integration.sync.conftest import SQL, Portal

ENGAGEMENT_TYPE_IDS = {"meeting": "0-47", "call": "0-48", "email": "0-49"}


def sql_lead(portal: Portal, email: str = "jonas.meier@pumpen.de") -> tuple[str, HandoverRecord]:
    """A lead that became SQL and was handed over (with a task and a deal); the clock moves on ten minutes."""
    contact_id = portal.lead(email, phone="+49 30 5550")
    portal.converts(contact_id, *SQL)
    portal.drain()
    portal.clock.advance(minutes=10)
    return contact_id, handover_of(portal, contact_id)


def handover_of(portal: Portal, contact_id: str) -> HandoverRecord:
    return portal.container.ledger.handovers.of_contacts([contact_id])[contact_id][-1]


def touches_of(portal: Portal, contact_id: str) -> list[TouchRecord]:
    return portal.container.ledger.touches.of_contacts([contact_id]).get(contact_id, [])


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def logs(portal: Portal, kind: str, contact_id: str, owner: str, at: datetime | None = None, **extra: str) -> str:
    """A rep logs an engagement on the contact: HubSpot creates it, associates it, and sends its creation event."""
    values = {"hs_timestamp": iso(at or portal.clock()), "hubspot_owner_id": owner, **extra}
    object_id = portal.hubspot.create(kind, values)
    portal.hubspot.associate(kind, object_id, "contact", contact_id)
    portal.deliver(portal.event("object.creation", object_id, objectTypeId=ENGAGEMENT_TYPE_IDS[kind]))
    return object_id


def resolve(portal: Portal) -> None:
    resolve_pending_signals(portal.container.provide(ResolveContext))


def first_touch(handover: HandoverRecord) -> tuple[datetime | None, str | None, str | None]:
    return handover.first_touch_at, handover.first_touch_kind, handover.first_touch_by


def test_a_call_logged_by_the_owner_is_the_first_touch(portal: Portal) -> None:
    contact_id, handover = sql_lead(portal)
    call = logs(portal, "call", contact_id, handover.owner_id or "")
    portal.hubspot.calls.clear()
    resolve(portal)
    assert first_touch(handover_of(portal, contact_id)) == (portal.clock(), "call", handover.owner_id)
    (touch,) = touches_of(portal, contact_id)
    assert (touch.source_key, touch.handover_key, touch.counted) == (f"call:{call}", handover.key, True)
    assert portal.hubspot.request_counts() == {("read_associations", "call→contact"): 1, ("read_objects", "call"): 1}


def test_a_sales_email_and_a_meeting_are_touches_and_an_incoming_email_is_not(portal: Portal) -> None:
    contact_id, handover = sql_lead(portal)
    owner = handover.owner_id or ""
    logs(portal, "email", contact_id, owner, portal.clock() - timedelta(minutes=5), hs_email_direction="INCOMING_EMAIL")
    resolve(portal)
    assert touches_of(portal, contact_id) == []
    assert handover_of(portal, contact_id).first_touch_at is None
    portal.clock.advance(minutes=1)
    email = logs(portal, "email", contact_id, owner, hs_email_direction="EMAIL")
    meeting = logs(portal, "meeting", contact_id, owner, portal.clock() + timedelta(days=3))  # booked for later
    resolve(portal)
    assert first_touch(handover_of(portal, contact_id)) == (portal.clock(), "email", owner)
    assert {t.source_key: t.counted for t in touches_of(portal, contact_id)} == {
        f"email:{email}": True,
        f"meeting:{meeting}": True,
    }


def test_the_earliest_touch_wins_even_when_its_webhook_comes_last(portal: Portal) -> None:
    contact_id, handover = sql_lead(portal)
    owner = handover.owner_id or ""
    logs(portal, "call", contact_id, owner)
    resolve(portal)
    earlier = portal.clock() - timedelta(minutes=7)  # a call logged afterwards, dated when it happened
    logs(portal, "call", contact_id, owner, earlier)
    resolve(portal)
    assert first_touch(handover_of(portal, contact_id)) == (earlier, "call", owner)


def test_another_owners_touch_is_recorded_but_does_not_count_unless_configured(portal: Portal) -> None:
    contact_id, handover = sql_lead(portal)
    someone_else = next(o for o in portal.owners.values() if o != handover.owner_id)
    logs(portal, "call", contact_id, someone_else)
    resolve(portal)
    (touch,) = touches_of(portal, contact_id)
    assert (touch.owner_id, touch.handover_key, touch.counted) == (someone_else, handover.key, False)
    assert handover_of(portal, contact_id).first_touch_at is None

    sla = portal.container.sla_config
    assert sla is not None
    portal.container.sla_config = replace(sla, first_touch=replace(sla.first_touch, touch_by_others=True))
    portal.clock.advance(minutes=1)
    logs(portal, "call", contact_id, someone_else)
    resolve(portal)
    # Judged whole under the new policy: the first call counts now too.
    assert first_touch(handover_of(portal, contact_id)) == (touch.at, "call", someone_else)


def test_a_webhook_delivered_twice_is_one_touch(portal: Portal) -> None:
    contact_id, handover = sql_lead(portal)
    call = portal.hubspot.create("call", {"hs_timestamp": iso(portal.clock()), "hubspot_owner_id": handover.owner_id})
    portal.hubspot.associate("call", call, "contact", contact_id)
    event = portal.event("object.creation", call, objectTypeId="0-48")
    portal.deliver(event)
    resolve(portal)
    portal.deliver(event, event)
    resolve(portal)
    assert len(touches_of(portal, contact_id)) == 1
    assert handover_of(portal, contact_id).first_touch_kind == "call"


def test_the_handover_task_completed_is_a_touch(portal: Portal) -> None:
    contact_id, handover = sql_lead(portal)
    assert handover.task_id is not None
    portal.hubspot.change("task", handover.task_id, {"hs_task_status": "COMPLETED"})
    completed = {"propertyName": "hs_task_status", "propertyValue": "COMPLETED", "changeSource": "CRM_UI"}
    portal.deliver(portal.event("object.propertyChange", handover.task_id, objectTypeId="0-27", **completed))
    assert first_touch(handover_of(portal, contact_id)) == (portal.clock(), "task", None)


def test_the_lead_status_moving_to_a_configured_value_is_a_touch_and_another_value_is_not(portal: Portal) -> None:
    contact_id, _handover = sql_lead(portal)
    portal.changed(contact_id, hs_lead_status="OPEN")
    assert touches_of(portal, contact_id) == []
    portal.clock.advance(minutes=2)
    portal.changed(contact_id, hs_lead_status="CONNECTED")
    assert first_touch(handover_of(portal, contact_id)) == (portal.clock(), "lead_status", None)


def test_the_handovers_deal_moving_stage_is_a_touch(portal: Portal) -> None:
    contact_id, handover = sql_lead(portal)
    assert handover.deal_id is not None
    portal.hubspot.change("deal", handover.deal_id, {"dealstage": "qualifiedtobuy"})
    portal.deliver(portal.event("deal.propertyChange", handover.deal_id, propertyName="dealstage",
                                propertyValue="qualifiedtobuy", changeSource="CRM_UI"))  # fmt: skip
    assert first_touch(handover_of(portal, contact_id)) == (portal.clock(), "deal_stage", None)


def test_a_touch_before_the_handover_counts_for_nothing(portal: Portal) -> None:
    contact_id, handover = sql_lead(portal)
    logs(portal, "call", contact_id, handover.owner_id or "", handover.assigned_at - timedelta(minutes=1))
    resolve(portal)
    (touch,) = touches_of(portal, contact_id)
    assert (touch.handover_key, touch.counted) == (None, False)


def test_the_reconciliation_records_hubspots_first_engagement_by_the_owner(portal: Portal) -> None:
    touched, handover = sql_lead(portal)
    untouched, _ = sql_lead(portal, "lena.lang@lang.de")
    before, _ = sql_lead(portal, "max.mohr@mohr.de")
    engaged = portal.clock() - timedelta(minutes=3)
    portal.hubspot.change("contact", touched, {
        "hs_sa_first_engagement_date": iso(engaged), "hs_sa_first_engagement_object_type": "EMAIL",
        "hs_sa_first_engagement_descr": "SALES_EMAIL"})  # fmt: skip
    portal.hubspot.change("contact", before, {
        "hs_sa_first_engagement_date": iso(handover.assigned_at - timedelta(days=1)),
        "hs_sa_first_engagement_object_type": "CALL"})  # fmt: skip
    portal.hubspot.calls.clear()
    report = reconcile_touches(portal.container.provide(TouchReconcileContext))
    assert (report.contacts, report.touches) == (3, 1)
    assert first_touch(handover_of(portal, touched)) == (engaged, "reconciled", handover.owner_id)
    assert handover_of(portal, untouched).first_touch_at is None
    assert handover_of(portal, before).first_touch_at is None
    assert portal.hubspot.request_counts() == {("read_objects", "contact"): 1}
    again = reconcile_touches(portal.container.provide(TouchReconcileContext))
    assert (again.contacts, again.touches) == (2, 0)  # the touched one no longer waits


def test_without_an_sla_nothing_is_read_or_recorded(portal: Portal) -> None:
    portal.container.sla_config = None
    contact_id, handover = sql_lead(portal)
    logs(portal, "call", contact_id, handover.owner_id or "")
    portal.hubspot.calls.clear()
    resolve(portal)
    assert touches_of(portal, contact_id) == []
    assert ("read_objects", "call") not in portal.hubspot.request_counts()
    assert reconcile_touches(portal.container.provide(TouchReconcileContext)).contacts == 0


def user_of(portal: Portal, owner_id: str | None) -> str:
    """The HubSpot user behind an owner, as HubSpot's webhooks name it (`sourceId`)."""
    (owner,) = [o for o in portal.hubspot.team if o.id == owner_id]
    return f"userId:{owner.user_id}"


def completes_task(portal: Portal, task_id: str, source_id: str) -> None:
    portal.hubspot.change("task", task_id, {"hs_task_status": "COMPLETED"})
    completed = {"propertyName": "hs_task_status", "propertyValue": "COMPLETED", "changeSource": "CRM_UI"}
    portal.deliver(portal.event("object.propertyChange", task_id, objectTypeId="0-27", sourceId=source_id, **completed))


def reconcile(portal: Portal) -> None:
    reconcile_touches(portal.container.provide(TouchReconcileContext))


def test_a_task_completed_by_another_reps_user_is_recorded_but_does_not_stop_the_owners_clock(portal: Portal) -> None:
    contact_id, handover = sql_lead(portal)
    assert handover.task_id is not None
    reconcile(portal)  # the reconciliation learns the team's users (and the watch, whenever it reads the team)
    someone_else = next(o for o in portal.owners.values() if o != handover.owner_id)
    completes_task(portal, handover.task_id, user_of(portal, someone_else))
    (touch,) = touches_of(portal, contact_id)
    assert (touch.kind, touch.user_id, touch.counted) == ("task", user_of(portal, someone_else)[7:], False)
    assert handover_of(portal, contact_id).first_touch_at is None

    portal.clock.advance(minutes=3)
    portal.changed(contact_id, hs_lead_status="CONNECTED")  # names no user: taken to be the owner's
    assert first_touch(handover_of(portal, contact_id))[1] == "lead_status"


def test_the_owners_user_completing_the_task_is_the_owners_first_touch(portal: Portal) -> None:
    contact_id, handover = sql_lead(portal)
    assert handover.task_id is not None
    reconcile(portal)
    completes_task(portal, handover.task_id, user_of(portal, handover.owner_id))
    assert first_touch(handover_of(portal, contact_id)) == (portal.clock(), "task", handover.owner_id)


def test_a_touch_by_a_user_not_yet_known_counts_until_the_team_says_whose_it_is(portal: Portal) -> None:
    contact_id, handover = sql_lead(portal)
    assert handover.task_id is not None
    someone_else = next(o for o in portal.owners.values() if o != handover.owner_id)
    completes_task(portal, handover.task_id, user_of(portal, someone_else))
    assert first_touch(handover_of(portal, contact_id)) == (portal.clock(), "task", None)  # taken as the owner's
    reconcile(portal)
    assert handover_of(portal, contact_id).first_touch_at is None  # judged anew: someone else's
    assert portal.container.worklist.dirty_count() == 1  # its drain writes the SLA status anew
