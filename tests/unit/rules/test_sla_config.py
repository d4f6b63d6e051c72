"""config/sla.yaml: the shipped file loads with the configuration, and every invalid file names file, item, problem."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.rules import ConfigError, ScoringModel
from app.rules.configuration import load_configuration
from app.rules.sla import SlaConfig, parse_sla
from app.rules.sla.config import sla_grades

FILE = "config/sla.yaml"
STAGES = ("sql", "mql")
GRADES = frozenset({"A", "B", "A1", "A2", "B1", "B2"})

VALID = """\
calendars:
  - id: office
    timezone: Europe/Berlin
    hours: {mon-fri: "09:00-17:00"}
targets:
  - {id: mql, stage: mql, hours: 8}
"""


def parse(text: str) -> SlaConfig:
    return parse_sla(text, STAGES, GRADES, FILE)


def problem(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    return str(caught.value)


def test_the_shipped_file_loads_with_the_configuration(config_dir: Path) -> None:
    sla = load_configuration(config_dir).sla
    assert sla is not None
    office = sla.calendars["office"]
    assert str(office.timezone) == "Europe/Berlin"
    assert office.is_public_holiday(date(2027, 1, 6))  # Bavaria: Epiphany
    assert {t.id: t.response for t in sla.targets} == {
        "mql": timedelta(hours=8),
        "sql": timedelta(hours=4),
        "sql-a": timedelta(hours=1),
    }
    assert sla.reminders == (50, 80)
    assert (sla.escalation.percent, sla.escalation.to, sla.escalation.notify, sla.escalation.task) == (
        100,
        "manager",
        True,
        True,
    )
    assert sla.reassignment is not None and (sla.reassignment.percent, sla.reassignment.max_times) == (150, 1)
    assert sla.first_touch.engagements == {"call", "email", "meeting"}
    assert "IN_PROGRESS" in sla.first_touch.lead_statuses and not sla.first_touch.touch_by_others


def test_the_minimal_file_takes_the_documented_defaults() -> None:
    sla = parse(VALID)
    assert sla.reminders == (50, 80)
    assert sla.escalation.percent == 100 and sla.escalation.to == "manager"
    assert sla.reassignment is None
    assert sla.first_touch.task_completed and not sla.first_touch.deal_stage_moved
    assert sla.calendars["office"].week[5] == () and sla.calendars["office"].week[0] == ((540, 1020),)


def test_several_windows_and_single_days_make_the_week() -> None:
    sla = parse(VALID.replace('{mon-fri: "09:00-17:00"}', '{mon-thu: "08:00-12:00, 13:00-17:00", fri: "08:00-14:00"}'))
    week = sla.calendars["office"].week
    assert week[0] == ((480, 720), (780, 1020)) and week[4] == ((480, 840),) and week[6] == ()


def test_a_grade_target_wins_over_its_stage_target_by_the_longest_grade() -> None:
    sla = parse(
        VALID + "  - {id: sql, stage: sql, hours: 4}\n  - {id: sql-a, stage: sql, grade: A, hours: 1}\n"
        "  - {id: sql-a1, stage: sql, grade: A1, hours: 0.5}\n"
    )
    assert [sla.target("sql", grade).id for grade in ("A1", "A2", "B1")] == ["sql-a1", "sql-a", "sql"]  # type: ignore[union-attr]
    assert sla.target("mql", "A1").id == "mql"  # type: ignore[union-attr]
    assert sla.target("sql", None).id == "sql"  # type: ignore[union-attr]


def test_a_stage_without_a_target_has_none() -> None:
    assert parse(VALID).target("sql", "A1") is None


def test_targets_may_name_a_second_calendar() -> None:
    text = VALID.replace(
        "targets:", '  - {id: us, timezone: America/New_York, hours: {mon-fri: "09:00-17:00"}}\ntargets:'
    )
    sla = parse(text + "  - {id: sql, stage: sql, hours: 4, calendar: us}\n")
    assert str(sla.target("sql", None).calendar.timezone) == "America/New_York"  # type: ignore[union-attr]
    assert str(sla.target("mql", None).calendar.timezone) == "Europe/Berlin"  # type: ignore[union-attr]


def test_the_grades_a_target_may_name_are_full_grades_and_fit_labels(default_model: ScoringModel) -> None:
    grades = sla_grades(default_model)
    assert {"A", "D", "A1", "D4"} <= grades and "1" not in grades


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("stage: mql", "stage: opportunity"), "target 'mql': 'stage': 'opportunity' is not a stage of the scoring"),
        (("stage: mql,", "stage: mql, grade: Z,"), "target 'mql': 'grade': 'Z' is not a grade the scoring model"),
        (("hours: 8}", "hours: 8, calendar: us}"), "target 'mql': 'calendar': no calendar 'us' (calendars: office)"),
        (("hours: 8}", "hours: -1}"), "target 'mql': 'hours' should be greater than or equal to 0, got -1"),
        (("hours: 8}", "hours: '8'}"), "target 'mql': 'hours' should be a valid number, got '8'"),
        (("Europe/Berlin", "Europe/Munich"), "calendar 'office': unknown time zone 'Europe/Munich'"),
        (('"09:00-17:00"', '"17:00-09:00"'), "calendar 'office': 'hours': working hours must close after they open"),
        (('"09:00-17:00"', '"09:00-12:00, 11:00-17:00"'), "calendar 'office': 'hours': the windows of 'mon-fri'"),
        (("mon-fri", "fri-mon"), "calendar 'office': 'hours': weekday range 'fri-mon' must run forward"),
        (("mon-fri", "funday"), "calendar 'office': 'hours': unknown weekday 'funday'"),
        (('{mon-fri: "09:00-17:00"}', '{mon-fri: "09:00-17:00", mon: "10:00-11:00"}'), "mon is given more than once"),
        (('{mon-fri: "09:00-17:00"}', "{mon-fri: ~}"), "calendar 'office': 'hours' has no working window on any"),
        (("    timezone: Europe/Berlin\n", ""), "calendar 'office': missing required key 'timezone'"),
        (("targets:", "    colour: blue\ntargets:"), "calendar 'office': unknown key 'colour'"),
    ],
)
def test_an_invalid_file_names_the_file_the_item_and_the_problem(change: tuple[str, str], expected: str) -> None:
    message = problem(VALID.replace(*change))
    assert message.startswith(f"{FILE}: ")
    assert expected in message


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("  - {id: mql, stage: sql, hours: 4}\n", "target 'mql': duplicate target id"),
        ("  - {id: mql-again, stage: mql, hours: 4}\n", "target 'mql-again': stage 'mql' already has target 'mql'"),
        ("reminders: [80, 50]\n", "reminders: must be ascending percentages without repeats"),
        ("reminders: [50, 100]\n", "reminders: every reminder must come before the escalation at 100 %"),
        ("reminders: [0]\n", "reminders[0]: should be greater than 0"),
        ("reassignment: {at: 90}\n", "reassignment: 'at' must come after the escalation at 100 %"),
        ("reassignment: {max_times: 0}\n", "reassignment: 'max_times' should be greater than or equal to 1"),
        ("escalation: {to: user}\n", "escalation: 'user' names the recipient exactly when 'to' is 'user'"),
        ("escalation: {user: a@example.com}\n", "escalation: 'user' names the recipient"),
        ("escalation: {to: ceo}\n", "escalation: 'to' should be 'manager', 'team_lead' or 'user'"),
        ("escalation: {notify: false, task: false}\n", "escalation: needs 'notify', 'task' or both"),
        ("first_touch: {engagements: [call, fax]}\n", "first_touch.engagements[1]: should be 'call', 'email'"),
        ("first_touch: {touch_by_others: yes please}\n", "first_touch: 'touch_by_others' should be a valid boolean"),
        ("colour: blue\n", "unknown top-level key 'colour'"),
    ],
)
def test_an_invalid_section_names_the_file_the_section_and_the_problem(extra: str, expected: str) -> None:
    message = problem(VALID + extra)
    assert message.startswith(f"{FILE}: ")
    assert expected in message


@pytest.mark.parametrize(
    ("holidays", "expected"),
    [
        ("{country: XX}", "calendar 'office': 'public_holidays': Country XX not available"),
        ("{country: DE, subdivision: ZZ}", "calendar 'office': 'public_holidays': Entity `DE` does not have"),
        ("{country: de}", "calendar 'office': 'public_holidays.country' must be a two-letter ISO country code"),
    ],
)
def test_unknown_public_holidays_are_an_error(holidays: str, expected: str) -> None:
    text = VALID.replace("targets:", f"    public_holidays: {holidays}\ntargets:")
    assert expected in problem(text)


def test_bavaria_and_berlin_differ_on_epiphany() -> None:
    def office(subdivision: str) -> bool:
        text = VALID.replace("targets:", f"    public_holidays: {{country: DE, subdivision: {subdivision}}}\ntargets:")
        return parse(text).calendars["office"].is_working_day(date(2026, 1, 6))

    assert (office("BY"), office("BE")) == (False, True)


def test_an_sla_without_a_handover_file_is_an_error(config_dir: Path, tmp_path: Path) -> None:
    for name in ("scoring.yaml", "signals.yaml", "sla.yaml"):
        shutil.copy(config_dir / name, tmp_path / name)
    with pytest.raises(ConfigError, match=r"sla\.yaml: SLAs time handovers: handover\.yaml is missing"):
        load_configuration(tmp_path)


def test_a_configuration_without_sla_file_has_no_sla(config_dir: Path, tmp_path: Path) -> None:
    for name in ("scoring.yaml", "signals.yaml", "handover.yaml", "routing.yaml"):
        shutil.copy(config_dir / name, tmp_path / name)
    assert load_configuration(tmp_path).sla is None


def test_a_target_for_a_stage_handed_to_no_owner_is_an_error(config_dir: Path, tmp_path: Path) -> None:
    for name in ("scoring.yaml", "signals.yaml", "routing.yaml", "sla.yaml"):
        shutil.copy(config_dir / name, tmp_path / name)
    handover = (config_dir / "handover.yaml").read_text(encoding="utf-8")
    (tmp_path / "handover.yaml").write_text(handover.replace("  - id: mql ", "  - id: mql-off "), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_configuration(tmp_path)
    assert "handover.yaml" in str(caught.value)
