"""Properties of the KPI report on random facts: periods partition the cohorts, rates of subsets stay in [0, 1]."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules.kpis import LeadCycle, facts_to_json_lines, kpi_report, parse_facts
from app.rules.kpis.facts import TIME_KEYS

WINDOW_FROM, WINDOW_TO = datetime(2026, 10, 7, 13, tzinfo=UTC), datetime(2027, 1, 20, tzinfo=UTC)
EXAMPLES = settings(max_examples=80, deadline=None)
# Rates whose numerator counts a subset of the denominator's members; sales_acceptance and worked do not (an
# accepted or touched lead need not have a reached handover), so they may exceed 1.
SUBSET_RATES = ("lead_to_mql", "mql_to_sql", "closed_won", "win", "sla_met")

moments = st.one_of(
    st.none(),
    st.datetimes(datetime(2026, 9, 1), datetime(2027, 2, 28), timezones=st.just(UTC)),
    st.sampled_from([WINDOW_FROM, WINDOW_TO, datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)]),
)
facts_lists = st.lists(
    st.builds(
        LeadCycle,
        contact=st.sampled_from(["1", "2", None]),
        grade_at_mql=st.sampled_from(["A1", "B2", None]),
        rejection_reason=st.sampled_from(["UNQUALIFIED", None]),
        **{key: moments for key in TIME_KEYS},
    ),
    max_size=25,
)
as_of_times = st.datetimes(datetime(2026, 9, 1), datetime(2027, 3, 31), timezones=st.just(UTC))


@EXAMPLES
@given(facts=facts_lists, as_of=as_of_times, by=st.sampled_from(["week", "month"]))
def test_the_periods_counts_add_up_to_the_windows(facts: list[LeadCycle], as_of: datetime, by: Any) -> None:
    document = kpi_report(facts, WINDOW_FROM, WINDOW_TO, as_of, by)
    # Every funnel count is a count of members of L or C, and the periods partition both cohorts.
    for key, count in document["funnel"].items():
        assert sum(period["funnel"][key] for period in document["periods"]) == count, key
    for key, figures in document["times"].items():
        assert sum(period["times"][key]["count"] for period in document["periods"]) == figures["count"], key
    assert document["periods"][0]["from"] == "2026-10-07T13:00:00Z"
    assert document["periods"][-1]["to"] == "2027-01-20T00:00:00Z"


@EXAMPLES
@given(facts=facts_lists, as_of=as_of_times)
def test_rates_of_subsets_lie_within_zero_and_one(facts: list[LeadCycle], as_of: datetime) -> None:
    document = kpi_report(facts, WINDOW_FROM, WINDOW_TO, as_of)
    rates = [document["rates"][key] for key in SUBSET_RATES]
    rates += [step["rate"] for step in document["conversion"]]
    rates += [grade["closed_won"] for grade in document["by_grade"].values()]
    assert all(rate is None or 0 <= rate <= 1 for rate in rates)


@EXAMPLES
@given(facts=facts_lists, as_of=as_of_times)
def test_the_breakdowns_account_for_the_whole_cohort(facts: list[LeadCycle], as_of: datetime) -> None:
    document = kpi_report(facts, WINDOW_FROM, WINDOW_TO, as_of)
    funnel = document["funnel"]
    assert document["conversion"][0]["entered"] == funnel["mqls"]
    assert sum(grade["mqls"] for grade in document["by_grade"].values()) == funnel["mqls"]
    assert sum(grade["won"] for grade in document["by_grade"].values()) == funnel["won"]
    assert sum(document["rejection_reasons"].values()) == funnel["rejected"]
    for figures in document["times"].values():
        if figures["count"]:
            assert 0 <= figures["p50"] <= figures["p90"] <= figures["p95"]


@EXAMPLES
@given(facts=facts_lists)
def test_facts_survive_a_round_trip_through_json_lines(facts: list[LeadCycle]) -> None:
    assert parse_facts(facts_to_json_lines(facts)) == facts
