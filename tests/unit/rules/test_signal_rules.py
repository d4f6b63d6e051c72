"""Signal rules turn raw HubSpot webhook events into engagement event types."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from app.rules import ConfigError, SignalRules, load_signal_rules, parse_signal_rules
from app.rules.expressions import read_names

FILE = "config/signals.yaml"


def conversion(name: object) -> dict[str, object]:
    return {
        "subscriptionType": "contact.propertyChange",
        "objectId": 1201,
        "propertyName": "recent_conversion_event_name",
        "propertyValue": name,
        "changeSource": "FORM",
        "occurredAt": 1795168800000,
    }


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("Whitepaper: Predictive maintenance", ("whitepaper_download",)),
        ("Q4 WHITEPAPER download", ("whitepaper_download",)),
        ("Book a demo", ("demo_request",)),
        ("webinar-registration-2026", ("webinar_registration",)),
        ("Demo webinar", ("demo_request", "webinar_registration")),
        ("Contact us", ()),
    ],
)
def test_a_conversion_is_read_from_the_form_name_case_insensitively(
    default_signals: SignalRules, form: str, expected: tuple[str, ...]
) -> None:
    assert default_signals.engagement_types(conversion(form)) == expected


def test_a_change_of_the_last_email_click_date_is_a_newsletter_click(default_signals: SignalRules) -> None:
    event = {
        "subscriptionType": "contact.propertyChange",
        "propertyName": "hs_email_last_click_date",
        "propertyValue": "1795168800000",
    }
    assert default_signals.engagement_types(event) == ("newsletter_click",)


@pytest.mark.parametrize("value", ["", None])
def test_clearing_the_last_email_click_date_is_not_a_click(default_signals: SignalRules, value: object) -> None:
    event = {"subscriptionType": "contact.propertyChange", "propertyName": "hs_email_last_click_date"}
    if value is not None:
        event["propertyValue"] = value
    assert default_signals.engagement_types(event) == ()


def test_a_new_meeting_is_a_booked_meeting(default_signals: SignalRules) -> None:
    event = {"subscriptionType": "object.creation", "objectTypeId": "0-47", "objectId": 88}
    assert default_signals.engagement_types(event) == ("meeting_booked",)
    assert default_signals.engagement_types({**event, "objectTypeId": "0-48"}) == ("call_logged",)
    assert default_signals.engagement_types({**event, "objectTypeId": "0-46"}) == ()


def test_rules_listen_only_to_their_subscription_type(default_signals: SignalRules) -> None:
    event = {**conversion("Book a demo"), "subscriptionType": "contact.creation"}
    assert default_signals.engagement_types(event) == ()
    assert default_signals.engagement_types({"propertyName": "recent_conversion_event_name"}) == ()


def test_an_event_the_rule_cannot_evaluate_matches_nothing(default_signals: SignalRules) -> None:
    assert default_signals.engagement_types(conversion(42)) == ()


def test_the_default_rules_list_their_subscriptions_and_event_types(default_signals: SignalRules) -> None:
    assert default_signals.subscriptions == ("contact.propertyChange", "object.creation")
    assert default_signals.event_types == (
        "whitepaper_download",
        "demo_request",
        "webinar_registration",
        "newsletter_click",
        "pricing_page_view",
        "unsubscribe",
        "meeting_booked",
        "call_logged",
    )


def test_labels_default_to_the_id_and_descriptions_to_empty() -> None:
    rules = parse_signal_rules(
        "rules:\n  - {id: any, subscription: contact.creation, when: 'true', event: signup}\n", FILE
    )
    assert (rules.rules[0].label, rules.rules[0].description) == ("any", "")
    assert rules.engagement_types({"subscriptionType": "contact.creation"}) == ("signup",)


def test_two_rules_producing_the_same_type_produce_it_once() -> None:
    rules = parse_signal_rules(
        textwrap.dedent(
            """
            rules:
              - {id: a, subscription: contact.creation, when: 'true', event: signup}
              - {id: b, subscription: contact.creation, when: 'objectId > 0', event: signup}
            """
        ),
        FILE,
    )
    assert rules.engagement_types({"subscriptionType": "contact.creation", "objectId": 5}) == ("signup",)


def test_load_signal_rules_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "signals.yaml"
    path.write_text("rules: []\n")
    assert load_signal_rules(path).rules == ()


RULE = "  - {id: demo, subscription: contact.propertyChange, when: \"propertyValue =~~ 'demo'\", event: demo_request}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: [\n", "config/signals.yaml: YAML syntax error at line 2"),
        ("", "config/signals.yaml: the file is empty"),
        ("signals: []\n", "config/signals.yaml: missing required top-level key 'rules'"),
        ("rules: []\nversion: 2\n", "config/signals.yaml: unknown top-level key 'version'"),
        ("rules:\n" + RULE + RULE, "config/signals.yaml: rule 'demo': duplicate rule id"),
        (
            "rules:\n" + RULE.replace("=~~ 'demo'", "=~~"),
            "config/signals.yaml: rule 'demo': syntax error in 'when': ",
        ),
        ("rules:\n" + RULE.replace(", event: demo_request", ""), "rule 'demo': missing required key 'event'"),
        ("rules:\n" + RULE.replace("contact.propertyChange", "contact"), "rule 'demo': 'subscription' "),
        ("rules:\n" + RULE.replace("event: demo_request", "event: Demo Request"), "rule 'demo': 'event' must be"),
        ("rules:\n" + RULE.replace("id: demo, ", ""), "config/signals.yaml: rules[0]: missing required key 'id'"),
        ("rules:\n" + RULE.replace("}", ", weight: 2}"), "rule 'demo': unknown key 'weight'"),
    ],
)
def test_an_invalid_signal_rules_file_names_file_rule_and_problem(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_signal_rules(text, FILE)
    assert message in str(caught.value)
    assert caught.value.file == FILE


def test_a_pricing_page_view_and_an_unsubscribe_count_by_default(default_signals: SignalRules) -> None:
    change = {"subscriptionType": "contact.propertyChange", "propertyName": "hs_analytics_last_url"}
    assert default_signals.engagement_types({**change, "propertyValue": "https://x.io/pricing#plans"}) == (
        "pricing_page_view",
    )
    assert default_signals.engagement_types({**change, "propertyValue": "https://x.io/blog"}) == ()
    optout = {"subscriptionType": "contact.propertyChange", "propertyName": "hs_email_optout"}
    assert default_signals.engagement_types({**optout, "propertyValue": "true"}) == ("unsubscribe",)
    assert default_signals.engagement_types({**optout, "propertyValue": "false"}) == ()


def test_the_rules_say_which_properties_and_object_types_they_watch(default_signals: SignalRules) -> None:
    assert default_signals.watched("contact.propertyChange", "propertyName") == {
        "recent_conversion_event_name", "hs_email_last_click_date", "hs_analytics_last_url", "hs_email_optout"
    }  # fmt: skip
    assert default_signals.watched("object.creation", "objectTypeId") == {"0-47", "0-48"}


def test_rules_ruled_out_by_their_property_name_give_what_evaluating_every_rule_gives(
    default_signals: SignalRules,
) -> None:
    events = [
        conversion("Demo webinar"),
        conversion(None),
        {"subscriptionType": "contact.propertyChange", "propertyName": "jobtitle", "propertyValue": "Demo"},
        {"subscriptionType": "contact.propertyChange", "propertyValue": "Whitepaper"},
        {"subscriptionType": "contact.propertyChange", "propertyName": 7, "propertyValue": "demo"},
        {"subscriptionType": "object.creation", "objectTypeId": "0-47", "objectId": 5},
        {"subscriptionType": "object.creation", "objectTypeId": "0-2", "objectId": 5},
    ]
    for event in events:
        candidates = [r for r in default_signals.rules if r.subscription == event["subscriptionType"]]
        every = tuple(dict.fromkeys(r.event for r in candidates if r.condition.matches(event)))
        assert default_signals.engagement_types(event) == every


def test_a_rule_whose_property_test_sits_under_an_or_is_always_evaluated() -> None:
    rules = parse_signal_rules(
        textwrap.dedent(
            """
            rules:
              - {id: either, subscription: contact.propertyChange, when: "propertyName == 'a' or propertyValue == 'x'",
                 event: demo_request}
              - {id: both, subscription: contact.propertyChange, when: "propertyValue == 'x' and 'b' == propertyName",
                 event: webinar_registration}
            """
        ),
        FILE,
    )
    event = {"subscriptionType": "contact.propertyChange", "propertyName": "c", "propertyValue": "x"}
    assert rules.engagement_types(event) == ("demo_request",)
    assert rules.engagement_types({**event, "propertyName": "b"}) == ("demo_request", "webinar_registration")
    assert rules.engagement_types({**event, "propertyValue": "y"}) == ()


def test_a_remembered_result_is_the_result_for_the_same_values_and_types() -> None:
    rules = parse_signal_rules(
        textwrap.dedent(
            """
            rules:
              - {id: big, subscription: contact.propertyChange, when: "propertyValue == true", event: demo_request}
              - {id: form, subscription: contact.propertyChange, when: "propertyValue =~~ '(?i)demo'",
                 event: webinar_registration}
            """
        ),
        FILE,
    )
    event = {"subscriptionType": "contact.propertyChange", "propertyName": "x"}
    for _ in range(2):
        assert rules.engagement_types({**event, "propertyValue": True}) == ("demo_request",)
        assert rules.engagement_types({**event, "propertyValue": 1}) == ()
        assert rules.engagement_types({**event, "propertyValue": "Book a DEMO"}) == ("webinar_registration",)
        assert rules.engagement_types({**event, "propertyValue": "Contact us"}) == ()
        assert rules.engagement_types({**event, "propertyValue": ["demo"]}) == ()


def test_a_rule_reading_the_current_time_is_evaluated_every_time() -> None:
    rules = parse_signal_rules(
        "rules:\n  - {id: now, subscription: contact.creation, when: '$now > $now - t\"P1D\"', event: signup}\n", FILE
    )
    condition = rules.rules[0].condition
    assert read_names(condition) is None
    assert rules.engagement_types({"subscriptionType": "contact.creation"}) == ("signup",)
