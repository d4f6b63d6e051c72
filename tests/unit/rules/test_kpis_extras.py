"""Beyond the KPI contract: Wilson intervals, breakdowns by owner, grade and model, and the periods as CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.rules.kpis import LeadCycle, compute_kpis
from app.rules.kpis.breakdowns import breakdown
from app.rules.kpis.exports import periods_csv
from app.rules.kpis.figures import Ratio
from app.rules.kpis.intervals import wilson

T0 = datetime(2026, 11, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (5, 10, (0.2366, 0.7634)),  # textbook values (Newcombe 1998, method 3)
        (0, 10, (0.0, 0.2775)),
        (10, 10, (0.7225, 1.0)),
        (1, 1, (0.2065, 1.0)),
        (81, 263, (0.2553, 0.3662)),
    ],
)
def test_the_wilson_interval_matches_published_values(part: int, whole: int, expected: tuple[float, float]) -> None:
    assert wilson(Ratio(part, whole)) == expected


def test_no_interval_without_a_denominator_or_for_a_ratio_that_is_no_share() -> None:
    assert wilson(Ratio(0, 0)) is None
    assert wilson(Ratio(3, 2)) is None


def fact(contact: str, owner: str | None, grade: str | None, model: str, won: bool = False) -> LeadCycle:
    mql = T0 + timedelta(days=int(contact))
    won_at = mql + timedelta(days=1) if won else None
    return LeadCycle(contact=contact, cycle=1, created_at=mql, mql_at=mql, handed_over_at=mql, owner=owner,
                     grade_at_mql=grade, model_at_mql=model, won_at=won_at)  # fmt: skip


FACTS = [fact("1", "o1", "A1", "m1", won=True), fact("2", "o1", "B2", "m2"), fact("3", "o2", None, "m2", won=True),
         fact("4", None, "A1", "m2")]  # fmt: skip
WINDOW = (T0, T0 + timedelta(days=30), T0 + timedelta(days=40))


def test_a_breakdown_computes_each_groups_figures_over_its_own_facts() -> None:
    owners = breakdown(FACTS, "owner", *WINDOW)
    assert list(owners) == ["none", "o1", "o2"]
    assert [(g.funnel["mqls"], g.funnel["won"], g.rates["closed_won"].value) for g in owners.values()] == [
        (1, 0, 0.0), (2, 1, 0.5), (1, 1, 1.0)
    ]  # fmt: skip
    assert {key: g.funnel["mqls"] for key, g in breakdown(FACTS, "grade", *WINDOW).items()} == {
        "A1": 2, "B2": 1, "none": 1
    }  # fmt: skip
    assert {key: g.funnel["won"] for key, g in breakdown(FACTS, "model", *WINDOW).items()} == {"m1": 1, "m2": 1}


def test_the_csv_has_a_row_per_period_and_empty_cells_for_null_rates() -> None:
    text = periods_csv(compute_kpis(FACTS, *WINDOW, by="week"))
    header, *rows = text.splitlines()
    assert header.split(",")[:5] == ["from", "to", "leads", "leads_qualified", "mqls"]
    assert len(rows) == 5 and rows[0].startswith("2026-11-02T00:00:00Z,2026-11-09T00:00:00Z,4,4,4,")
    assert rows[-1].split(",")[2:5] == ["0", "0", "0"] and rows[-1].endswith(",,,,,,")
