"""Signal rules turn raw HubSpot webhook events into engagement event types."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from app.rules import ConfigError, SignalRules, load_signal_rules, parse_signal_rules
from app.rules.expressions import read_names

FILE = "config/signals.yaml"


CONVERSION = {
    "subscriptionType": "contact.propertyChange",
    "objectId": 1201,
    "propertyName": "recent_conversion_date",
    "propertyValue": "1795168800000",
    "changeSource": "FORM",
    "occurredAt": 1795168800000,
}


def conversion(name: object) -> dict[str, object]:
    """A form submission as the form name used to report it (the rules no longer count name changes)."""
    return {**CONVERSION, "propertyName": "recent_conversion_event_name", "propertyValue": name}


def form(name: str | None) -> dict[str, str | None]:
    return {"recent_conversion_event_name": name}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Whitepaper: Predictive maintenance", ("whitepaper_download",)),
        ("Q4 WHITEPAPER download", ("whitepaper_download",)),
        ("Book a demo", ("demo_request",)),
        ("webinar-registration-2026", ("webinar_registration",)),
        ("Checklist: Retrofit", ("checklist_download",)),
        ("Demo webinar", ("demo_request", "webinar_registration")),
        ("Contact us", ()),
    ],
)
def test_a_conversion_is_its_date_changing_judged_by_the_form_name_as_it_was_case_insensitively(
    default_signals: SignalRules, name: str, expected: tuple[str, ...]
) -> None:
    assert default_signals.recalled(CONVERSION) == ("recent_conversion_event_name",)
    assert default_signals.engagement_types(CONVERSION, form(name)) == expected


def test_a_conversion_date_change_counts_nothing_until_the_form_name_is_recalled(default_signals: SignalRules) -> None:
    assert default_signals.engagement_types(CONVERSION) == ()
    assert default_signals.engagement_types(CONVERSION, form(None)) == ()


def test_a_change_of_the_form_name_alone_counts_nothing(default_signals: SignalRules) -> None:
    """The form name changes only with the first submission of another form; its date change counts that one."""
    assert default_signals.recalled(conversion("Whitepaper: X")) == ()
    assert default_signals.engagement_types(conversion("Whitepaper: X")) == ()


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
    assert default_signals.engagement_types(CONVERSION, {"recent_conversion_event_name": 42}) == ()  # type: ignore[dict-item]


def test_the_default_rules_list_their_subscriptions_and_event_types(default_signals: SignalRules) -> None:
    assert default_signals.subscriptions == ("contact.propertyChange", "object.creation")
    assert default_signals.event_types == (
        "whitepaper_download",
        "checklist_download",
        "demo_request",
        "webinar_registration",
        "webinar_attendance",
        "newsletter_open",
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
    view = {"subscriptionType": "contact.propertyChange", "propertyName": "hs_analytics_num_page_views",
            "propertyValue": "7"}  # fmt: skip
    assert default_signals.recalled(view) == ("hs_analytics_last_url",)
    pricing = {"hs_analytics_last_url": "https://x.io/pricing#plans"}
    assert default_signals.engagement_types(view, pricing) == ("pricing_page_view",)
    assert default_signals.engagement_types(view, {"hs_analytics_last_url": "https://x.io/blog"}) == ()
    last_url = {"subscriptionType": "contact.propertyChange", "propertyName": "hs_analytics_last_url"}
    assert default_signals.engagement_types({**last_url, "propertyValue": "https://x.io/pricing"}) == ()
    optout = {"subscriptionType": "contact.propertyChange", "propertyName": "hs_email_optout"}
    assert default_signals.engagement_types({**optout, "propertyValue": "true"}) == ("unsubscribe",)
    assert default_signals.engagement_types({**optout, "propertyValue": "false"}) == ()


@pytest.mark.parametrize(
    ("property_name", "event"),
    [("last_webinar_attended_date", "webinar_attendance"), ("hs_email_last_open_date", "newsletter_open")],
)
def test_a_webinar_attendance_and_an_email_open_count_from_their_date_changes(
    default_signals: SignalRules, property_name: str, event: str
) -> None:
    change = {"subscriptionType": "contact.propertyChange", "propertyName": property_name}
    assert default_signals.recalled({**change, "propertyValue": "1795168800000"}) == ()
    assert default_signals.engagement_types({**change, "propertyValue": "1795168800000"}) == (event,)
    assert default_signals.engagement_types({**change, "propertyValue": ""}) == ()


def test_the_rules_say_which_properties_and_object_types_they_watch(default_signals: SignalRules) -> None:
    assert default_signals.watched("contact.propertyChange", "propertyName") == {
        "recent_conversion_date", "last_webinar_attended_date", "hs_email_last_open_date", "hs_email_last_click_date",
        "hs_analytics_num_page_views", "hs_email_optout",
    }  # fmt: skip
    assert default_signals.recalled_properties == {"recent_conversion_event_name", "hs_analytics_last_url"}
    assert default_signals.watched("object.creation", "objectTypeId") == {"0-47", "0-48"}


def test_rules_ruled_out_by_their_property_name_give_what_evaluating_every_rule_gives(
    default_signals: SignalRules,
) -> None:
    events = [
        conversion("Demo webinar"),
        conversion(None),
        {"subscriptionType": "contact.propertyChange", "propertyName": "hs_email_last_open_date", "propertyValue": "1"},
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


RECALLING = '  - {id: wp, subscription: contact.propertyChange, when: "%s", event: whitepaper_download}\n'


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("contact.recent_conversion_event_name =~~ 'paper'", "must name the changed property: propertyName == '…'"),
        ("propertyName == 'a' or contact.b == 'x'", "must name the changed property: propertyName == '…'"),
        ("propertyName == 'a' and company.name == 'x'", "may read contact properties (contact.<name>), not company"),
        ("propertyName == 'a' and contact == 'x'", "must read a contact property by its name: contact.<name>"),
    ],
)
def test_a_rule_reading_contact_properties_it_cannot_recall_names_the_file_rule_and_problem(
    when: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_signal_rules("rules:\n" + RECALLING % when, FILE)
    assert str(caught.value).startswith("config/signals.yaml: rule 'wp': ")
    assert message in str(caught.value)


def test_only_a_contact_property_change_rule_can_recall_contact_properties() -> None:
    text = "rules:\n" + (RECALLING % "propertyName == 'a' and contact.b == 'x'").replace(
        "contact.propertyChange", "object.creation"
    )
    with pytest.raises(ConfigError, match=r"only contact\.propertyChange rules can read contact properties"):
        parse_signal_rules(text, FILE)


def test_a_recalling_rule_is_offered_only_the_changes_of_its_property() -> None:
    rules = parse_signal_rules("rules:\n" + RECALLING % "propertyName == 'a' and contact.b =~~ 'x'", FILE)
    assert rules.rules[0].recalls == ("b",)
    change = {"subscriptionType": "contact.propertyChange", "propertyName": "a", "propertyValue": "1"}
    assert rules.recalled(change) == ("b",)
    assert rules.recalled({**change, "propertyName": "c"}) == ()
    assert rules.engagement_types(change, {"b": "xyz"}) == ("whitepaper_download",)
    assert rules.engagement_types(change, {"b": "y"}) == ()
