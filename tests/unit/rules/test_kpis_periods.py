"""`--by week|month`: the window cut at ISO week or month starts strictly inside it, each period a report of its own."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.rules.kpis import LeadCycle, Period, kpi_report, parse_instant
from app.rules.kpis.periods import periods


def cuts(window_from: str, window_to: str, by: Period) -> list[tuple[str, str]]:
    return [
        (_text(start), _text(end)) for start, end in periods(parse_instant(window_from), parse_instant(window_to), by)
    ]


def _text(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("window_from", "window_to", "by"),
    [
        ("2026-11-03", "2026-11-09", "week"),  # Tuesday to the next Monday: the Monday is the end, not inside
        ("2026-11-02", "2026-11-09", "week"),  # exactly one ISO week
        ("2026-11-02T10:00:00Z", "2026-11-02T11:00:00Z", "week"),
        ("2026-11-01", "2026-12-01", "month"),  # exactly one month
        ("2026-11-15", "2026-11-20", "month"),
    ],
)
def test_a_window_with_no_boundary_inside_is_one_period(window_from: str, window_to: str, by: Period) -> None:
    assert len(cuts(window_from, window_to, by)) == 1


def test_weeks_are_cut_at_mondays_00_00_utc_with_the_first_and_last_periods_partial() -> None:
    assert cuts("2026-11-04T12:00:00Z", "2026-11-20", "week") == [
        ("2026-11-04T12:00:00Z", "2026-11-09T00:00:00Z"),
        ("2026-11-09T00:00:00Z", "2026-11-16T00:00:00Z"),
        ("2026-11-16T00:00:00Z", "2026-11-20T00:00:00Z"),
    ]


def test_a_window_starting_and_ending_on_week_boundaries_has_whole_weeks_only() -> None:
    assert cuts("2026-11-02", "2026-11-16", "week") == [
        ("2026-11-02T00:00:00Z", "2026-11-09T00:00:00Z"),
        ("2026-11-09T00:00:00Z", "2026-11-16T00:00:00Z"),
    ]


def test_months_are_cut_at_the_first_00_00_utc_across_a_year_end() -> None:
    assert cuts("2026-11-15", "2027-02-10", "month") == [
        ("2026-11-15T00:00:00Z", "2026-12-01T00:00:00Z"),
        ("2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        ("2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z"),
        ("2027-02-01T00:00:00Z", "2027-02-10T00:00:00Z"),
    ]


def test_boundaries_are_in_utc_whatever_the_offset_of_the_window() -> None:
    # 2026-11-09T00:30+01:00 is Sunday 23:30 UTC: Monday 00:00 UTC lies inside the window.
    assert cuts("2026-11-09T00:30:00+01:00", "2026-11-09T12:00:00Z", "week") == [
        ("2026-11-08T23:30:00Z", "2026-11-09T00:00:00Z"),
        ("2026-11-09T00:00:00Z", "2026-11-09T12:00:00Z"),
    ]


def test_each_period_is_a_report_of_its_own_window_with_the_reports_as_of() -> None:
    facts = [
        LeadCycle(created_at=parse_instant("2026-11-03"), mql_at=parse_instant("2026-11-04"),
                  sql_at=parse_instant("2026-12-03")),  # sql after the window, before as_of
        LeadCycle(mql_at=parse_instant("2026-11-10")),
    ]  # fmt: skip
    document = kpi_report(facts, parse_instant("2026-11-02"), parse_instant("2026-11-16"), parse_instant("2026-12-05"),
                          "week")  # fmt: skip
    first, second = document["periods"]
    assert list(first) == ["from", "to", "funnel", "rates", "times"]
    assert (first["from"], first["to"], second["from"], second["to"]) == (
        "2026-11-02T00:00:00Z", "2026-11-09T00:00:00Z", "2026-11-09T00:00:00Z", "2026-11-16T00:00:00Z"
    )  # fmt: skip
    assert (first["funnel"]["leads"], first["funnel"]["mqls"], first["funnel"]["sqls"]) == (1, 1, 1)
    assert (second["funnel"]["leads"], second["funnel"]["mqls"], second["rates"]["mql_to_sql"]) == (0, 1, 0.0)


@pytest.mark.parametrize("by", ["week", "month"])
def test_the_last_period_before_year_10000_ends_at_to(by: Period) -> None:
    assert cuts("9999-12-29", "9999-12-31T23:59:59Z", by) == [("9999-12-29T00:00:00Z", "9999-12-31T23:59:59Z")]
