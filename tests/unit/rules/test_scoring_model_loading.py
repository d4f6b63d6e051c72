"""Loading config/scoring.yaml: what the shipped model holds and what the format allows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.rules import ScoringModel, load_scoring_model

Parse = Callable[[str], ScoringModel]

MINIMAL = """
    model: m-1
    fit: {limit: 100, rules: []}
    engagement: {limit: 100, events: {}}
"""


def test_shipped_model_has_the_version_stamped_on_every_score(default_model: ScoringModel) -> None:
    assert default_model.model == "default-2026-12"


def test_shipped_model_has_the_fit_rules_and_points_of_the_contract(default_model: ScoringModel) -> None:
    rules = [(rule.id, rule.label, rule.points) for rule in default_model.fit_rules]
    assert rules == [
        ("target-industry", "Target industry", 25),
        ("company-size", "50 to 1000 employees", 20),
        ("decision-maker", "Decision maker or budget holder", 30),
        ("dach", "DACH market", 15),
        ("free-mail", "Free-mail address", -30),
    ]
    assert default_model.fit_limit == 100


def test_shipped_model_keeps_the_methodology_weights_5_10_2(default_model: ScoringModel) -> None:
    weights = {weight.type: (weight.label, weight.points, weight.cap) for weight in default_model.events}
    assert weights == {
        "whitepaper_download": ("Whitepaper download", 5, 15),
        "checklist_download": ("Checklist download", 3, 9),
        "demo_request": ("Demo request", 10, None),
        "newsletter_open": ("Newsletter open", 0, None),
        "newsletter_click": ("Newsletter click", 2, 10),
        "webinar_registration": ("Webinar registration", 8, None),
        "webinar_attendance": ("Webinar attendance", 12, 24),
        "pricing_page_view": ("Pricing page view", 3, 9),
        "unsubscribe": ("Unsubscribed", -20, None),
    }
    assert (default_model.engagement_limit, default_model.half_life_days) == (100, 90)


def test_shipped_model_lists_stage_ids_highest_first(default_model: ScoringModel) -> None:
    assert default_model.stage_ids == ("sql", "mql")
    assert default_model.stages[0].label == "Sales qualified lead"


def test_shipped_model_lists_its_event_types_in_file_order(default_model: ScoringModel) -> None:
    assert default_model.event_types == (
        "whitepaper_download",
        "checklist_download",
        "demo_request",
        "newsletter_open",
        "newsletter_click",
        "webinar_registration",
        "webinar_attendance",
        "pricing_page_view",
        "unsubscribe",
    )


def test_grade_labels_are_every_fit_label_followed_by_every_engagement_label(default_model: ScoringModel) -> None:
    assert default_model.grade_labels == tuple(f + e for f in "ABCD" for e in "1234")


def test_referenced_properties_come_from_expressions_requires_and_declarations(
    default_model: ScoringModel,
) -> None:
    contact, company = default_model.referenced_properties()
    assert contact == {
        "hs_buying_role",
        "country",
        "email",
        "firstname",
        "lastname",
        "company",
        "phone",
        "hs_analytics_num_page_views",
    }
    assert company == {"industry", "numberofemployees", "annualrevenue"}


def test_referenced_properties_include_item_access_and_prefixed_requires(model_from: Parse) -> None:
    model = model_from(
        MINIMAL
        + """
    stages:
      - id: s
        when: contact['jobtitle'] != null and [e for e in events_ever if e == company.domain]
        requires: [contact.mobilephone, company.name, city]
    """
    )
    contact, company = model.referenced_properties()
    assert contact == {"jobtitle", "mobilephone", "city"}
    assert company == {"domain", "name"}


def test_labels_default_to_the_id(model_from: Parse) -> None:
    model = model_from(
        """
        model: m-1
        fit: {limit: 10, rules: [{id: any-email, when: "contact.email != null", points: 1}]}
        engagement: {limit: 10, events: {demo_request: {points: 10}}}
        stages: [{id: mql, when: fit > 0}]
        """
    )
    assert model.fit_rules[0].label == "any-email"
    assert model.events[0].label == "demo_request"
    assert model.stages[0].label == "mql"


def test_optional_sections_may_be_left_out(model_from: Parse) -> None:
    model = model_from(MINIMAL)
    assert (model.half_life_days, model.fit_grades, model.stages, model.property_types) == (None, (), (), {})
    assert model.grade_labels == ()


def test_grade_labels_written_as_integers_become_strings(model_from: Parse) -> None:
    model = model_from(MINIMAL + "    grades: {engagement: [[1, 60], [2, 0]]}\n")
    assert [band.label for band in model.engagement_grades] == ["1", "2"]
    assert model.grade_labels == ("1", "2")


def test_grade_thresholds_need_not_descend(model_from: Parse) -> None:
    model = model_from(MINIMAL + "    grades: {fit: [[Low, 0], [High, 70]]}\n")
    assert [(band.label, band.threshold) for band in model.fit_grades] == [("Low", 0), ("High", 70)]


def test_grade_labels_include_a_missing_side_when_no_entry_covers_zero(model_from: Parse) -> None:
    model = model_from(MINIMAL + "    grades: {fit: [[A, 70], [B, 40]], engagement: [['1', 0]]}\n")
    assert model.grade_labels == ("A1", "B1", "1")


def test_points_limits_and_thresholds_may_be_floats(model_from: Parse) -> None:
    model = model_from(
        """
        model: m-1
        fit: {limit: 99.5, rules: [{id: r, when: "true", points: 2.5}]}
        engagement: {limit: 50.5, half_life_days: 0.5, events: {e: {points: -1.5, cap: 0.5}}}
        grades: {fit: [[A, 1.5]]}
        """
    )
    assert (model.fit_limit, model.fit_rules[0].points, model.events[0].cap) == (99.5, 2.5, 0.5)


def test_phone_number_is_accepted_as_a_property_type(model_from: Parse) -> None:
    model = model_from(MINIMAL + "    properties: {contact.phone: phone_number, company.founded: date}\n")
    assert model.property_types == {"contact.phone": "phone_number", "company.founded": "date"}


def test_load_scoring_model_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "scoring.yaml"
    path.write_text("model: from-file\nfit: {limit: 1, rules: []}\nengagement: {limit: 1, events: {}}\n")
    assert load_scoring_model(path).model == "from-file"


def test_a_model_version_written_as_an_integer_is_read_as_text(model_from: Parse) -> None:
    assert model_from(MINIMAL.replace("model: m-1", "model: 3")).model == "3"


def test_empty_sections_read_as_empty(model_from: Parse) -> None:
    model = model_from(MINIMAL + "    properties:\n    grades:\n    stages:\n")
    assert (model.property_types, model.fit_grades, model.stages) == ({}, (), ())
