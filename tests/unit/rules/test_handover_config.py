"""config/handover.yaml: the shipped file loads; an invalid file fails naming file, stage (or location), problem."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from app.rules import ConfigError, ScoringModel, parse_handover
from app.rules.config import load_config
from app.rules.handover.config import handover_file

FILE = "config/handover.yaml"
STAGES = ("sql", "mql")

VALID = """\
calendar:
  timezone: Europe/Berlin
  workdays: [mon, tue, wed, thu, fri]
  hours: "09:00-17:00"
  holidays: [2026-12-24]
defaults:
  contact.firstname: there
stages:
  - id: mql
    lifecyclestage: marketingqualifiedlead
    lead_status: NEW
    response_hours: 8
    task:
      subject: "Follow up {contact.firstname}"
      body: "{reasons}"
      priority: {by_grade: {A: HIGH, default: LOW}}
  - id: sql
    owner: route
    response_hours: 4
    task: {subject: "Call {contact.firstname}", type: CALL}
    deal: {stage: appointmentscheduled, name: "{company.name}", amount_property: company.annualrevenue}
    notify: true
gate:
  data_task: {owner: ops@example.com, subject: "Missing {missing}", due_hours: 8}
feedback:
  accepted: [CONNECTED]
  rejected: {UNQUALIFIED: not qualified}
recycle: {lifecyclestage: lead, lead_status: "", engagement_from_recycle: true}
"""


def load_error(text: str, stages: tuple[str, ...] = STAGES) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_handover(text, stages, FILE)
    return caught.value


def with_replaced(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new, 1)


def test_the_shipped_handover_file_loads_against_the_shipped_scoring_model(
    config_dir: Path, default_model: ScoringModel
) -> None:
    labels = {stage.id: stage.label for stage in default_model.stages}
    config = load_config(handover_file(default_model.stage_ids, labels), config_dir)
    assert set(config.stages) == {"mql", "sql"}
    assert config.stages["sql"].deal is not None
    assert config.stages["mql"].task is not None
    assert config.label("sql") == "Sales qualified lead"
    assert config.data_task is not None
    assert config.feedback.rejected["UNQUALIFIED"] == "not qualified"
    assert config.recycle.engagement_from_recycle is True
    assert config.calendar.timezone.key == "Europe/Berlin"


def test_the_valid_base_file_loads_with_defaults() -> None:
    config = parse_handover(VALID, STAGES, FILE)
    sql = config.stages["sql"]
    assert sql.task is not None and sql.deal is not None
    assert (sql.task.task_type, sql.task.priority.for_grade("A1"), sql.deal.pipeline) == ("CALL", "MEDIUM", "default")
    assert sql.deal.amount_property == ("company", "annualrevenue")
    assert config.calendar.holidays == frozenset({date(2026, 12, 24)})
    assert config.label("mql") == "mql"


def test_an_almost_empty_file_is_valid() -> None:
    config = parse_handover("stages: []\n", STAGES, FILE)
    assert config.stage("mql") is None
    assert config.recycle.lifecyclestage == "lead"
    assert config.recycle.engagement_from_recycle is False


def test_a_stage_that_the_scoring_model_lacks_is_an_error() -> None:
    error = load_error(VALID, ("mql",))
    assert str(error) == "config/handover.yaml: stage 'sql': not a stage of the scoring model (its stages: mql)"


def test_an_unknown_placeholder_names_file_stage_key_and_placeholder() -> None:
    error = load_error(with_replaced('"Call {contact.firstname}"', '"Call {contact.firstname} {score_total}"'))
    assert (error.file, error.rule, error.subject) == (FILE, "sql", "stage")
    assert str(error).startswith("config/handover.yaml: stage 'sql': 'task.subject': unknown placeholder {score_total}")


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{contact}", "unknown placeholder {contact}"),
        ("{}", "unknown placeholder {}"),
        ("{0}", "unknown placeholder {0}"),
        ("{contact[email]}", "unknown placeholder {contact[email]}"),
        ("{missing}", "unknown placeholder {missing}"),
        ("{score:>5}", "may not have a format or conversion"),
        ("{grade!r}", "may not have a format or conversion"),
        ("{grade", "invalid template"),
        ("grade}", "invalid template"),
    ],
)
def test_templates_are_checked_at_load_time(template: str, problem: str) -> None:
    error = load_error(with_replaced('body: "{reasons}"', f"body: {template!r}"))
    assert (error.rule, error.subject) == ("mql", "stage")
    assert error.problem.startswith("'task.body': ")
    assert problem in error.problem


def test_a_deal_name_template_is_checked() -> None:
    error = load_error(with_replaced('name: "{company.name}"', 'name: "{company.name} {ownr.name}"'))
    assert str(error).startswith("config/handover.yaml: stage 'sql': 'deal.name': unknown placeholder {ownr.name}")


def test_the_data_task_may_use_missing_but_not_unknown_placeholders() -> None:
    error = load_error(with_replaced('subject: "Missing {missing}"', 'subject: "Missing {missing_fields}"'))
    assert str(error).startswith(
        "config/handover.yaml: gate.data_task: 'subject': unknown placeholder {missing_fields}"
    )


def test_a_default_for_an_unknown_placeholder_is_an_error() -> None:
    error = load_error(with_replaced("  contact.firstname: there", "  firstname: there"))
    assert str(error).startswith("config/handover.yaml: defaults: unknown placeholder {firstname}")


def test_an_unknown_lifecycle_stage_is_an_error() -> None:
    error = load_error(with_replaced("lifecyclestage: marketingqualifiedlead", "lifecyclestage: MQL"))
    assert error.rule == "mql"
    assert error.problem.startswith("'lifecyclestage' should be 'subscriber', 'lead', ")


def test_an_unknown_owner_mode_is_an_error() -> None:
    error = load_error(with_replaced("owner: route", "owner: round-robin"))
    assert str(error) == (
        "config/handover.yaml: stage 'sql': 'owner' should be 'route', 'keep' or 'none', got 'round-robin'"
    )


def test_a_task_without_response_hours_is_an_error() -> None:
    error = load_error(with_replaced("    response_hours: 4\n", ""))
    assert str(error) == "config/handover.yaml: stage 'sql': a task needs 'response_hours' for its due date"


def test_a_task_or_deal_without_an_owner_is_an_error() -> None:
    error = load_error(with_replaced("owner: route", "owner: none"))
    assert (
        str(error) == "config/handover.yaml: stage 'sql': a task or a deal needs an owner: use owner 'route' or 'keep'"
    )


@pytest.mark.parametrize("hours", ["-1", "0.5h", ".inf", "9000"])
def test_invalid_response_hours_are_an_error(hours: str) -> None:
    error = load_error(with_replaced("response_hours: 8", f"response_hours: {hours}"))
    assert (error.rule, error.subject) == ("mql", "stage")
    assert "'response_hours'" in error.problem


def test_an_unknown_task_type_is_an_error() -> None:
    error = load_error(with_replaced("type: CALL", "type: MEETING"))
    assert (
        str(error)
        == "config/handover.yaml: stage 'sql': 'task.type' should be 'CALL', 'EMAIL' or 'TODO', got 'MEETING'"
    )


def test_priorities_by_grade_need_a_default() -> None:
    error = load_error(with_replaced("{A: HIGH, default: LOW}", "{A: HIGH}"))
    assert error.rule == "mql"
    assert "'by_grade' needs a 'default' priority" in error.problem


def test_an_unknown_priority_is_an_error() -> None:
    assert (
        "'task.priority.fixed' should be 'LOW', 'MEDIUM' or 'HIGH'"
        in load_error(with_replaced("priority: {by_grade: {A: HIGH, default: LOW}}", "priority: URGENT")).problem
    )
    assert "'task.priority.by_grade.A' should be" in load_error(with_replaced("{A: HIGH,", "{A: TOP,")).problem


def test_an_amount_property_must_name_contact_or_company() -> None:
    error = load_error(with_replaced("amount_property: company.annualrevenue", "amount_property: annualrevenue"))
    assert "must name a property as contact.<name> or company.<name>" in error.problem


def test_a_deal_needs_a_stage_and_a_name() -> None:
    error = load_error(with_replaced("deal: {stage: appointmentscheduled, ", "deal: {"))
    assert str(error) == "config/handover.yaml: stage 'sql': missing required key 'deal.stage'"


def test_numeric_ids_are_read_as_text() -> None:
    config = parse_handover(with_replaced("stage: appointmentscheduled", "stage: 123456"), STAGES, FILE)
    deal = config.stages["sql"].deal
    assert deal is not None and deal.stage == "123456"


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("timezone: Europe/Berlin", "timezone: Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ('hours: "09:00-17:00"', 'hours: "17:00-09:00"', "must close after they open"),
        ("[mon, tue, wed, thu, fri]", "[mon, funday]", "unknown weekday 'funday'"),
    ],
)
def test_an_invalid_calendar_is_an_error(old: str, new: str, problem: str) -> None:
    error = load_error(with_replaced(old, new))
    assert str(error).startswith("config/handover.yaml: calendar: ")
    assert problem in error.problem


def test_a_calendar_without_workdays_is_an_error() -> None:
    assert "'workdays'" in load_error(with_replaced("[mon, tue, wed, thu, fri]", "[]")).problem


def test_an_invalid_holiday_is_an_error() -> None:
    error = load_error(with_replaced("[2026-12-24]", "['2026-12-32']"))
    assert str(error).startswith("config/handover.yaml: calendar.holidays[0]: ")
    error = load_error(with_replaced("[2026-12-24]", "[2026-02-30]"))
    assert str(error) == "config/handover.yaml: invalid date or time: day is out of range for month"


def test_a_lead_status_both_accepted_and_rejected_is_an_error() -> None:
    error = load_error(with_replaced("accepted: [CONNECTED]", "accepted: [CONNECTED, UNQUALIFIED]"))
    assert str(error) == "config/handover.yaml: feedback: lead status 'UNQUALIFIED' is both accepted and rejected"


def test_a_data_task_owner_must_be_an_email() -> None:
    error = load_error(with_replaced("owner: ops@example.com", "owner: Marketing Ops"))
    assert str(error).startswith("config/handover.yaml: gate.data_task: 'owner' must be an owner's email address")


def test_duplicate_stages_are_an_error() -> None:
    error = load_error(with_replaced("  - id: sql\n", "  - id: mql\n"))
    assert str(error) == "config/handover.yaml: stage 'mql': duplicate stage id"


def test_unknown_keys_are_errors() -> None:
    assert str(load_error(VALID + "sla: {}\n")) == "config/handover.yaml: unknown top-level key 'sla'"
    error = load_error(with_replaced("    notify: true", "    notify: true\n    notify_channel: '#sales'"))
    assert str(error) == "config/handover.yaml: stage 'sql': unknown key 'notify_channel'"


def test_notify_must_be_a_boolean() -> None:
    assert load_error(with_replaced("notify: true", "notify: 'yes'")).rule == "sql"


def test_a_missing_stages_key_is_an_error() -> None:
    error = load_error(VALID[: VALID.index("stages:")] + "recycle: {}\n")
    assert str(error) == "config/handover.yaml: missing required top-level key 'stages'"
