"""The webhook subscriptions Leadflow asks for follow the model and the signal rules."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.rules import load_scoring_model, load_signal_rules, parse_scoring_model, parse_signal_rules
from app.rules.configuration import load_configuration
from app.rules.handover.config import FeedbackRules, HandoverConfig
from app.rules.sla.policy import FirstTouch
from app.rules.subscriptions import WebhookSubscription, required_subscriptions

CONFIG = Path(__file__).resolve().parents[3] / "config"
_SHIPPED = load_configuration(CONFIG).handover
assert _SHIPPED is not None
HANDOVER: HandoverConfig = _SHIPPED


def test_the_default_configuration_asks_for_every_property_it_reads_and_no_own_property() -> None:
    wanted = required_subscriptions(
        load_scoring_model(CONFIG / "scoring.yaml"), load_signal_rules(CONFIG / "signals.yaml")
    )
    contact_props = {s.property_name for s in wanted if s.subscription_type == "contact.propertyChange"}
    assert {"hs_buying_role", "country", "email", "phone", "recent_conversion_date"} <= contact_props
    assert {"hs_email_last_click_date", "hs_analytics_num_page_views", "hs_email_optout"} <= contact_props
    assert {"hs_email_last_open_date", "last_webinar_attended_date"} <= contact_props
    # The form name and the last URL are read from HubSpot when a conversion or a page view needs them.
    assert not {"recent_conversion_event_name", "hs_analytics_last_url"} & contact_props
    assert not any((s.property_name or "").startswith("leadflow_") for s in wanted)
    assert WebhookSubscription("company.propertyChange", "industry") in wanted
    assert WebhookSubscription("object.creation", object_type_id="0-47") in wanted
    assert WebhookSubscription("contact.privacyDeletion") in wanted
    assert len(set(wanted)) == len(wanted)


def test_a_model_without_company_rules_needs_no_company_subscriptions() -> None:
    model = parse_scoring_model(
        "model: m\nfit:\n  limit: 100\n  rules:\n    - {id: r, when: \"contact.jobtitle == 'CEO'\", points: 5}\n"
        "engagement:\n  limit: 100\n  events: {}\n"
    )
    signals = parse_signal_rules(
        "rules:\n  - {id: s, event: e, subscription: contact.propertyChange,"
        " when: \"propertyName in ['a', 'b'] or 'c' == propertyName\"}\n"
    )
    wanted = required_subscriptions(model, signals)
    assert not any(s.subscription_type.startswith("company.") for s in wanted)
    properties = [s.property_name for s in wanted if s.subscription_type == "contact.propertyChange"]
    assert properties == ["a", "b", "c", "jobtitle"]
    assert WebhookSubscription("contact.propertyChange", "jobtitle").describe() == "contact.propertyChange (jobtitle)"


def test_an_sla_asks_for_the_creation_of_each_engagement_object_that_may_be_a_first_touch() -> None:
    model, signals = load_scoring_model(CONFIG / "scoring.yaml"), load_signal_rules(CONFIG / "signals.yaml")
    creations = [
        s.object_type_id
        for s in required_subscriptions(model, signals, HANDOVER, first_touch=FirstTouch())
        if s.subscription_type == "object.creation"
    ]
    assert creations == ["0-47", "0-48", "0-49"]  # meetings and calls (also signals), e-mails: once each, in order
    emails_only = required_subscriptions(model, signals, first_touch=FirstTouch(engagements=frozenset({"email"})))
    assert [s.object_type_id for s in emails_only if s.subscription_type == "object.creation"] == [
        "0-47", "0-48", "0-49"
    ]  # fmt: skip
    none = required_subscriptions(model, signals, first_touch=FirstTouch(engagements=frozenset()))
    assert WebhookSubscription("object.creation", object_type_id="0-49") not in none


def test_listed_rejection_reasons_add_the_subscription_to_the_reason_sales_picks() -> None:
    model, signals = load_scoring_model(CONFIG / "scoring.yaml"), load_signal_rules(CONFIG / "signals.yaml")
    reason = WebhookSubscription("contact.propertyChange", "leadflow_reject_reason")
    with_reasons = replace(HANDOVER, feedback=replace(HANDOVER.feedback, reasons={"no_budget": "No budget"}))
    assert reason in required_subscriptions(model, signals, with_reasons)
    assert reason not in required_subscriptions(model, signals, replace(HANDOVER, feedback=FeedbackRules()))


def test_leads_add_the_lead_stage_and_disqualification_reason_and_nothing_else() -> None:
    model, signals = load_scoring_model(CONFIG / "scoring.yaml"), load_signal_rules(CONFIG / "signals.yaml")
    assert HANDOVER.leads is not None  # the shipped handover.yaml hands over with Leads where the portal has them
    with_leads = required_subscriptions(model, signals, HANDOVER)
    without = required_subscriptions(model, signals, replace(HANDOVER, leads=None))
    assert set(with_leads) - set(without) == {
        WebhookSubscription("object.propertyChange", "hs_pipeline_stage", "0-136"),
        WebhookSubscription("object.propertyChange", "hs_lead_disqualification_reason", "0-136"),
    }
    assert not set(without) - set(with_leads)
