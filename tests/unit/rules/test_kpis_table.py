"""The KPI report as text: the funnel as bars, every rate with its n, times as human durations."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.rules.kpis import compute_kpis, parse_facts, parse_instant
from app.rules.kpis.figures import Ratio
from app.rules.kpis.table import bar, duration, kpi_table, percent

FACTS = Path(__file__).resolve().parents[2] / "fixtures" / "kpis" / "small_portal.jsonl"


def table(by: str | None = None) -> str:
    report = compute_kpis(parse_facts(FACTS.read_text()), parse_instant("2026-11-01"), parse_instant("2026-12-01"),
                          parse_instant("2026-12-10"), "month" if by else None)  # fmt: skip
    return kpi_table(report)


def lines_starting(text: str, start: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip().startswith(start)]


def test_the_header_names_the_window_and_as_of() -> None:
    assert (
        table().splitlines()[0] == "KPIs from 2026-11-01T00:00:00Z to 2026-12-01T00:00:00Z, as of 2026-12-10T00:00:00Z"
    )


def test_the_funnel_draws_leads_against_leads_and_the_mql_cohort_against_mqls() -> None:
    text = table()
    assert lines_starting(text, "leads  ") == ["  leads                 5  " + "█" * 32]
    assert lines_starting(text, "leads qualified") == ["  leads qualified       3  " + "█" * 19 + "▎"]  # 19.2
    assert lines_starting(text, "mqls") == ["  mqls                  5  " + "█" * 32]
    assert lines_starting(text, "won") == ["  won                   1  " + "█" * 6 + "▍"]  # 6.4
    assert lines_starting(text, "deals")[0].endswith("2  " + "█" * 12 + "▊")  # 12.8


def test_every_rate_shows_its_n() -> None:
    text = table()
    assert lines_starting(text, "mql→sql")[0] == "  mql→sql           40.0 % (n=5)"
    assert lines_starting(text, "SLA met") == ["  SLA met           33.3 % (n=3)"]
    assert lines_starting(text, "win ") == ["  win               50.0 % (n=2)"]
    assert "  deal→won          50.0 % (n=2)        converted 1" in text.splitlines()


def test_times_are_shown_as_durations_with_their_count() -> None:
    assert lines_starting(table(), "time to response") == ["  time to response  6 h 58 min / 1 d / 1 d (n=3)"]


def test_grades_and_reasons_are_listed_and_periods_only_when_cut() -> None:
    text = table()
    assert lines_starting(text, "A1") == ["  A1           2         1     1  50.0 % (n=2)          50.0 % (n=2)"]
    # A Pareto: most frequent first, with each reason's share and the cumulative share.
    reasons = text.split("Rejection reasons\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert reasons == [  # a tie: by reason
        "  UNQUALIFIED                  1   50.0 %  cumulative 50.0 %",
        "  none                         1   50.0 %  cumulative 100.0 %",
    ]
    assert "Periods" not in text
    assert lines_starting(table(by="month"), "2026-11-01 →") == [
        "  2026-11-01 → 2026-12-01  leads 5  mqls 5  sqls 2  won 1  mql→sql 40.0 % (n=5)  SLA met 33.3 % (n=3)"
    ]


@pytest.mark.parametrize(
    ("count", "scale", "drawn"),
    [(0, 10, ""), (10, 10, "█" * 32), (1, 1000, "▏"), (1, 3, "██████████▋"), (5, 0, ""), (12, 10, "█" * 32)],
)
def test_a_bar_is_scaled_in_eighths_and_never_hides_a_count(count: int, scale: int, drawn: str) -> None:
    assert bar(count, scale) == drawn


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (45, "45 s"), (60, "1 min"), (725, "12 min 5 s"), (3_601, "1 h"), (7_500, "2 h 5 min"),
     (273_600, "3 d 4 h")],
)  # fmt: skip
def test_a_duration_reads_as_its_two_largest_units(seconds: int, text: str) -> None:
    assert duration(seconds) == text


def test_a_percentage_is_rounded_half_up_from_the_exact_fraction_and_null_shows_a_dash() -> None:
    assert percent(Ratio(57, 800)) == "7.1 % (n=800)"
    assert percent(Ratio(1, 8)) == "12.5 % (n=8)"
    assert percent(Ratio(1, 16)) == "6.3 % (n=16)"  # 6.25: half up
    assert percent(Ratio(0, 0)) == "– (n=0)"
