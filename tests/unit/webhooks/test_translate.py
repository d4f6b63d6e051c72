"""Translating HubSpot events into signals: one translator per subscription type, echoes dropped."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.ledger.records import Merge, NewTouch
from app.rules import load_signal_rules
from app.rules.sla.first_touch import Touch
from app.rules.sla.policy import FirstTouch
from app.webhooks.events import HubSpotEvent, parse_events
from app.webhooks.translate import TRANSLATORS, EventInvalid, TranslationContext, dedupe_key, translate

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "hubspot"
CONTEXT = TranslationContext(app_id="4242", rules=load_signal_rules(ROOT / "config" / "signals.yaml"))


def fixture(name: str) -> HubSpotEvent:
    return parse_events((FIXTURES / f"{name}.json").read_bytes())[0]


def test_every_supported_type_has_a_captured_payload() -> None:
    captured = {path.stem.split("__")[0] for path in FIXTURES.glob("*.json")}
    generic_or_alias = {"contact.restore", "company.deletion", "company.restore", "company.merge"}
    generic_or_alias |= {"object.deletion"}
    assert set(TRANSLATORS) - captured <= generic_or_alias


def test_a_created_contact_becomes_dirty() -> None:
    translated = translate(fixture("contact.creation__from_ui"), CONTEXT)
    assert translated.outcome == "accepted"
    (signal,) = translated.signals
    assert (signal.kind, signal.contact_id, signal.engagement_types) == ("contact.created", "101", ())


@pytest.mark.parametrize(
    ("name", "engagements"),
    [
        ("contact.propertyChange__whitepaper_conversion", ()),  # a form name alone counts nothing
        ("contact.propertyChange__newsletter_click", ("newsletter_click",)),
        ("contact.propertyChange__job_title", ()),
    ],
)
def test_a_property_change_carries_the_engagements_the_signal_rules_derive(
    name: str, engagements: tuple[str, ...]
) -> None:
    (signal,) = translate(fixture(name), CONTEXT).signals
    assert signal.contact_id == "101"
    assert signal.engagement_types == engagements


@pytest.mark.parametrize("name", ["contact.propertyChange__leadflow_echo", "contact.propertyChange__integration_echo"])
def test_leadflows_own_writes_come_back_as_echoes_and_are_dropped(name: str) -> None:
    translated = translate(fixture(name), CONTEXT)
    assert (translated.outcome, translated.signals) == ("echo", ())


def test_the_reject_reason_sales_picks_is_not_an_echo_though_it_is_leadflows_property() -> None:
    event = fixture("contact.propertyChange__leadflow_echo").model_copy(
        update={"propertyName": "leadflow_reject_reason", "propertyValue": "no_budget", "changeSource": "CRM_UI"}
    )
    assert translate(event, CONTEXT).outcome == "accepted"


def test_a_change_by_another_integration_is_not_an_echo() -> None:
    event = fixture("contact.propertyChange__integration_echo").model_copy(update={"sourceId": "999"})
    assert translate(event, CONTEXT).outcome == "accepted"


def test_a_merge_re_keys_the_merged_contacts_to_the_survivor() -> None:
    translated = translate(fixture("contact.merge__two_contacts"), CONTEXT)
    assert translated.merges == (Merge("101", ("102",)),)
    assert translated.signals[0].contact_id == "101"


def test_a_merge_into_a_new_record_makes_the_new_record_the_survivor() -> None:
    event = fixture("contact.merge__two_contacts").model_copy(update={"newObjectId": 103})
    (merge,) = translate(event, CONTEXT).merges
    assert (merge.survivor, sorted(merge.merged)) == ("103", ["101", "102"])


def test_a_privacy_deletion_forgets_the_contact_and_stores_no_signal() -> None:
    translated = translate(fixture("contact.privacyDeletion__gdpr"), CONTEXT)
    assert (translated.forgotten, translated.signals) == (("101",), ())


@pytest.mark.parametrize(
    "name", ["contact.associationChange__company_added", "company.associationChange__contact_added"]
)
def test_a_company_link_change_marks_the_contact_from_either_direction(name: str) -> None:
    (signal,) = translate(fixture(name), CONTEXT).signals
    assert (signal.kind, signal.contact_id) == ("contact.company-link", "101")


def test_a_company_change_waits_for_its_contacts_to_be_resolved() -> None:
    (signal,) = translate(fixture("company.propertyChange__industry"), CONTEXT).signals
    assert (signal.kind, signal.object_type, signal.object_id, signal.contact_id) == (
        "company.changed", "company", "501", None
    )  # fmt: skip


def test_a_meeting_the_rules_count_waits_for_its_contacts() -> None:
    (signal,) = translate(fixture("object.creation__meeting"), CONTEXT).signals
    assert (signal.kind, signal.object_type, signal.contact_id) == ("engagement.created", "meeting", None)


def test_a_logged_call_waits_for_its_contacts() -> None:
    (signal,) = translate(fixture("object.creation__call"), CONTEXT).signals
    assert (signal.kind, signal.object_type, signal.contact_id) == ("engagement.created", "call", None)


def test_an_engagement_object_no_rule_counts_is_ignored() -> None:
    note = fixture("object.creation__call").model_copy(update={"objectTypeId": "0-46"})
    assert translate(note, CONTEXT).outcome == "ignored"


def test_an_unsupported_type_is_acknowledged_as_ignored() -> None:
    translated = translate(fixture("deal.creation__unsubscribed_type"), CONTEXT)
    assert (translated.outcome, translated.signals) == ("ignored", ())


def test_a_generic_contact_property_change_is_treated_like_the_legacy_one() -> None:
    legacy = fixture("contact.propertyChange__newsletter_click")
    generic = legacy.model_copy(update={"subscriptionType": "object.propertyChange", "objectTypeId": "0-1"})
    (signal,) = translate(generic, CONTEXT).signals
    assert signal.engagement_types == ("newsletter_click",)


@pytest.mark.parametrize("subscription", ["contact.propertyChange", "object.propertyChange"])
def test_a_conversion_date_change_waits_without_its_contact_for_the_form_name_to_be_recalled(
    subscription: str,
) -> None:
    event = fixture("contact.propertyChange__conversion_date").model_copy(
        update={"subscriptionType": subscription, "objectTypeId": "0-1"}
    )
    translated = translate(event, CONTEXT)
    (signal,) = translated.signals
    assert translated.outcome == "accepted"
    assert (signal.kind, signal.object_type, signal.object_id) == ("contact.awaiting-recall", "contact", "101")
    assert (signal.contact_id, signal.engagement_types) == (None, ())


def test_an_event_without_the_fields_its_type_needs_is_invalid() -> None:
    event = fixture("contact.propertyChange__job_title").model_copy(update={"propertyName": None})
    with pytest.raises(EventInvalid, match=r"contact\.propertyChange needs propertyName"):
        translate(event, CONTEXT)


def test_redeliveries_share_a_dedupe_key_and_distinct_events_do_not() -> None:
    event = fixture("contact.propertyChange__job_title")
    redelivery = event.model_copy(update={"attemptNumber": 3})
    assert dedupe_key(event) == dedupe_key(redelivery)
    assert dedupe_key(event) != dedupe_key(event.model_copy(update={"occurredAt": event.occurredAt + 1}))
    payload = json.loads((FIXTURES / "contact.propertyChange__job_title.json").read_text())[0]
    assert payload["eventId"] == event.eventId


def test_a_completed_task_is_feedback_on_the_handover_it_belongs_to() -> None:
    (signal,) = translate(fixture("object.propertyChange__task_completed"), CONTEXT).signals
    assert (signal.kind, signal.object_type, signal.object_id, signal.contact_id) == (
        "handover.task-completed", "task", "8001", None
    )  # fmt: skip
    in_progress = fixture("object.propertyChange__task_completed").model_copy(update={"propertyValue": "IN_PROGRESS"})
    assert translate(in_progress, CONTEXT).outcome == "ignored"


def test_a_deal_moving_to_a_won_or_lost_stage_is_feedback_and_other_stages_are_not() -> None:
    (signal,) = translate(fixture("deal.propertyChange__closed_won"), CONTEXT).signals
    assert (signal.kind, signal.object_id) == ("handover.deal-won", "7001")
    lost = fixture("deal.propertyChange__closed_won").model_copy(update={"propertyValue": "closedlost"})
    assert translate(lost, CONTEXT).signals[0].kind == "handover.deal-lost"
    moving = fixture("deal.propertyChange__closed_won").model_copy(update={"propertyValue": "contractsent"})
    assert translate(moving, CONTEXT).outcome == "ignored"


# --- touches (sla.yaml's first touch) ----------------------------------------------------------------------------

SLA_CONTEXT = replace(CONTEXT, first_touch=FirstTouch(lead_statuses=frozenset({"CONNECTED"}), deal_stage_moved=True))
OCCURRED = datetime.fromtimestamp(1764150000, tz=UTC)
MOVED = datetime.fromtimestamp(1764160000, tz=UTC)


def test_without_an_sla_no_event_is_a_touch() -> None:
    for name in ("contact.propertyChange__lead_status_connected", "object.propertyChange__task_completed",
                 "deal.propertyChange__stage_moved"):  # fmt: skip
        assert translate(fixture(name), CONTEXT).touches == ()
    assert translate(fixture("object.creation__email"), CONTEXT).outcome == "ignored"


def test_an_email_waits_for_its_contacts_when_emails_may_be_touches() -> None:
    translated = translate(fixture("object.creation__email"), SLA_CONTEXT)
    (signal,) = translated.signals
    assert (signal.kind, signal.object_type, signal.object_id, signal.contact_id) == (
        "engagement.created", "email", "9003", None
    )  # fmt: skip
    assert translated.touches == ()  # the resolver reads who sent it, and whether it was sent at all


def test_an_email_is_kept_though_the_sla_counts_no_emails_now_and_a_note_is_ignored() -> None:
    meetings_only = replace(CONTEXT, first_touch=FirstTouch(engagements=frozenset({"meeting"})))
    assert translate(fixture("object.creation__email"), meetings_only).outcome == "accepted"  # recorded, judged later
    note = fixture("object.creation__email").model_copy(update={"objectTypeId": "0-46"})
    assert translate(note, SLA_CONTEXT).outcome == "ignored"


def test_a_lead_status_moving_to_a_configured_value_is_a_touch_by_the_user_hubspot_names() -> None:
    translated = translate(fixture("contact.propertyChange__lead_status_connected"), SLA_CONTEXT)
    assert translated.signals[0].kind == "contact.changed"
    assert translated.touches == (
        NewTouch(Touch("lead_status:101:1764150000000", "lead_status", OCCURRED, user_id="9000001"), contact_id="101"),
    )
    for source in (None, "", "userId:", "form-submission"):  # no user named: the author is not known
        anonymous = fixture("contact.propertyChange__lead_status_connected").model_copy(update={"sourceId": source})
        (touch,) = translate(anonymous, SLA_CONTEXT).touches
        assert touch.touch.user_id is None
    other = fixture("contact.propertyChange__lead_status_connected").model_copy(update={"propertyValue": "NEW"})
    assert translate(other, SLA_CONTEXT).touches == ()


@pytest.mark.parametrize("source", ["AUTOMATION_PLATFORM", "IMPORT", "CALCULATED"])
def test_a_change_by_a_workflow_an_import_or_a_calculation_is_no_touch(source: str) -> None:
    for name in ("contact.propertyChange__lead_status_connected", "object.propertyChange__task_completed",
                 "deal.propertyChange__stage_moved"):  # fmt: skip
        event = fixture(name).model_copy(update={"changeSource": source})
        assert translate(event, SLA_CONTEXT).touches == ()


def test_a_completed_task_is_a_touch_of_the_handover_with_that_task() -> None:
    translated = translate(fixture("object.propertyChange__task_completed"), SLA_CONTEXT)
    assert translated.signals[0].kind == "handover.task-completed"
    assert translated.touches == (NewTouch(Touch("task:8001", "task", MOVED, user_id="9000001"), task_id="8001"),)


def test_a_deal_moving_stage_is_a_touch_of_the_handover_with_that_deal() -> None:
    moved = translate(fixture("deal.propertyChange__stage_moved"), SLA_CONTEXT)
    assert (moved.outcome, moved.signals) == ("accepted", ())
    stage_moved = Touch("deal_stage:7001:1764160000000", "deal_stage", MOVED, user_id="9000001")
    assert moved.touches == (NewTouch(stage_moved, deal_id="7001"),)
    won = translate(fixture("deal.propertyChange__closed_won"), SLA_CONTEXT)
    assert won.signals[0].kind == "handover.deal-won"
    assert [touch.deal_id for touch in won.touches] == ["7001"]


def test_a_leads_stage_or_disqualification_reason_is_feedback_and_a_stage_move_a_touch() -> None:
    moved = translate(fixture("object.propertyChange__lead_stage_moved"), SLA_CONTEXT)
    (signal,) = moved.signals
    assert (signal.kind, signal.object_type, signal.object_id, signal.contact_id) == (
        "handover.lead-changed", "lead", "6001", None
    )  # fmt: skip
    touch = Touch("lead_stage:6001:1764160000000", "lead_stage", MOVED, user_id="9000001")
    assert moved.touches == (NewTouch(touch, lead_id="6001", lead_stage="attempting-stage-id"),)
    reason = fixture("object.propertyChange__lead_stage_moved").model_copy(
        update={"propertyName": "hs_lead_disqualification_reason", "propertyValue": "NO_BUDGET"}
    )
    assert [s.kind for s in translate(reason, SLA_CONTEXT).signals] == ["handover.lead-changed"]
    assert translate(reason, SLA_CONTEXT).touches == ()
    renamed = fixture("object.propertyChange__lead_stage_moved").model_copy(update={"propertyName": "hs_lead_name"})
    assert translate(renamed, SLA_CONTEXT).outcome == "ignored"
    by_workflow = fixture("object.propertyChange__lead_stage_moved").model_copy(update={"changeSource": "WORKFLOWS"})
    assert translate(by_workflow, SLA_CONTEXT).touches == () and translate(by_workflow, CONTEXT).touches == ()
