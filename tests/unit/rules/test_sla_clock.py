"""The SLA clock of a handover: reminder, due, escalation and reassignment points, and its status at a moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules.sla import SlaConfig, SlaPoints, SlaStatus, parse_sla, sla_points, sla_status

BERLIN = ZoneInfo("Europe/Berlin")
SLA = """\
calendars:
  - id: office
    timezone: Europe/Berlin
    hours: {mon-fri: "09:00-17:00"}
    public_holidays: {country: DE, subdivision: BY}
targets:
  - {id: mql, stage: mql, hours: 8}
  - {id: sql, stage: sql, hours: 4}
  - {id: sql-a, stage: sql, grade: A, hours: 1}
  - {id: instant, stage: lead, hours: 0}
reminders: [50, 80]
reassignment: {at: 150, max_times: 1}
"""


@pytest.fixture(scope="module")
def sla() -> SlaConfig:
    return parse_sla(SLA, ("sql", "mql", "lead"), frozenset({"A", "B", "A1", "B1"}), "sla.yaml")


def berlin(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


def points_for(sla: SlaConfig, stage: str, grade: str | None, assigned_at: datetime) -> SlaPoints:
    target = sla.target(stage, grade)
    assert target is not None
    return sla_points(sla, target, assigned_at)


def test_an_a_grade_sql_is_due_in_one_business_hour_with_its_points_along_the_way(sla: SlaConfig) -> None:
    points = points_for(sla, "sql", "A1", berlin(11, 24, 10))
    assert points.reminders == (berlin(11, 24, 10, 30), berlin(11, 24, 10, 48))
    assert points.due_at == points.escalation_at == berlin(11, 24, 11)
    assert points.reassignment_at == berlin(11, 24, 11, 30)
    assert points.at_risk_from == berlin(11, 24, 10, 30)
    assert all(point.tzinfo is UTC for point in (points.assigned_at, points.due_at, *points.reminders))


def test_an_mql_assigned_on_friday_afternoon_is_due_on_monday(sla: SlaConfig) -> None:
    points = points_for(sla, "mql", "B1", berlin(11, 27, 15))
    assert points.reminders[0] == berlin(11, 30, 11)  # 4 h: 2 on Friday, 2 on Monday
    assert points.due_at == berlin(11, 30, 15)
    assert points.reassignment_at == berlin(12, 1, 11)  # 12 h


def test_the_points_skip_a_bavarian_holiday(sla: SlaConfig) -> None:
    points = points_for(sla, "sql", "B1", berlin(1, 5, 15))  # Tuesday 6 January is Epiphany in Bavaria
    assert points.due_at == berlin(1, 7, 11)


def test_a_zero_target_is_due_at_the_next_working_instant(sla: SlaConfig) -> None:
    points = points_for(sla, "lead", None, berlin(11, 28, 10))  # Saturday
    assert points.due_at == points.reminders[0] == points.reassignment_at == berlin(11, 30, 9)


def test_without_reassignment_there_is_no_reassignment_point() -> None:
    sla = parse_sla(SLA.replace("reassignment: {at: 150, max_times: 1}\n", ""), ("sql", "mql", "lead"), {"A"})
    assert points_for(sla, "sql", None, berlin(11, 24, 10)).reassignment_at is None


POINTS = SlaPoints(
    assigned_at=berlin(11, 24, 10),
    due_at=berlin(11, 24, 11),
    reminders=(berlin(11, 24, 10, 30), berlin(11, 24, 10, 48)),
)


@pytest.mark.parametrize(
    ("now", "status"),
    [
        (berlin(11, 24, 10), SlaStatus.ON_TRACK),
        (berlin(11, 24, 10, 29), SlaStatus.ON_TRACK),
        (berlin(11, 24, 10, 30), SlaStatus.AT_RISK),  # the first reminder point
        (berlin(11, 24, 11), SlaStatus.AT_RISK),  # the due time itself is still in time
        (berlin(11, 24, 11, 1), SlaStatus.BREACHED),
        (berlin(11, 30, 9), SlaStatus.BREACHED),
    ],
)
def test_an_untouched_handover_is_on_track_then_at_risk_then_breached(now: datetime, status: SlaStatus) -> None:
    assert sla_status(POINTS, None, now) is status


@pytest.mark.parametrize(
    ("touched_at", "status"),
    [
        (berlin(11, 24, 10, 5), SlaStatus.MET),
        (berlin(11, 24, 11), SlaStatus.MET),
        (
            berlin(
                11,
                24,
                11,
                0,
            )
            + timedelta(seconds=1),
            SlaStatus.MISSED,
        ),
        (berlin(11, 25, 9), SlaStatus.MISSED),
    ],
)
def test_a_touched_handover_is_met_or_missed_whatever_the_time_now(touched_at: datetime, status: SlaStatus) -> None:
    assert sla_status(POINTS, touched_at, berlin(12, 1, 9)) is status


def test_without_reminders_a_handover_is_at_risk_only_at_its_due_time() -> None:
    points = SlaPoints(assigned_at=berlin(11, 24, 10), due_at=berlin(11, 24, 11))
    assert sla_status(points, None, berlin(11, 24, 10, 59)) is SlaStatus.ON_TRACK
    assert sla_status(points, None, berlin(11, 24, 11)) is SlaStatus.AT_RISK


def test_the_statuses_are_the_values_written_to_contacts() -> None:
    assert [status.value for status in SlaStatus] == ["on_track", "at_risk", "breached", "met", "missed"]


@settings(max_examples=200, deadline=None)
@given(
    assigned=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    stage=st.sampled_from(["sql", "mql", "lead"]),
    grade=st.sampled_from(["A1", "B1", None]),
)
def test_the_points_come_in_order(sla: SlaConfig, assigned: datetime, stage: str, grade: str | None) -> None:
    points = points_for(sla, stage, grade, assigned)
    assert points.reassignment_at is not None and points.escalation_at is not None
    in_order = (points.assigned_at, *points.reminders, points.due_at, points.escalation_at, points.reassignment_at)
    assert list(in_order) == sorted(in_order)
