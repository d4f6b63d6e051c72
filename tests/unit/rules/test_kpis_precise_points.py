"""Each "Precise point" of docs/kpis.md, where careful readers could differ, on the smallest fact set that shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from app.rules.kpis import LeadCycle, kpi_report, parse_instant

FROM, TO, AS_OF = "2026-11-01", "2026-12-01", "2026-12-10"


def cycle(**fields: Any) -> LeadCycle:
    """A lead cycle whose time fields are given as ISO 8601 text."""
    return LeadCycle(**{key: parse_instant(value) if key.endswith("_at") else value for key, value in fields.items()})


def report(*facts: LeadCycle, window_from: str = FROM, window_to: str = TO, as_of: str = AS_OF) -> dict[str, Any]:
    return kpi_report(facts, parse_instant(window_from), parse_instant(window_to), parse_instant(as_of))


# Instants


def test_instants_in_other_offsets_are_compared_in_utc() -> None:
    inside = cycle(mql_at="2026-12-01T00:30:00+01:00")  # 2026-11-30T23:30Z: inside the window
    outside = cycle(mql_at="2026-10-31T23:30:00-01:00")  # 2026-11-01T00:30Z: inside too
    late = cycle(mql_at="2026-11-30T23:30:00-01:00")  # 2026-12-01T00:30Z: after the window
    assert report(inside, outside, late)["funnel"]["mqls"] == 2


def test_the_window_includes_its_from_and_excludes_its_to() -> None:
    assert (
        report(cycle(mql_at=FROM), cycle(mql_at=TO), cycle(created_at=FROM), cycle(created_at=TO))["funnel"]["mqls"]
        == 1
    )
    assert report(cycle(created_at=FROM), cycle(created_at=TO))["funnel"]["leads"] == 1


def test_a_field_is_reached_at_as_of_itself_but_not_a_microsecond_later() -> None:
    facts = (cycle(mql_at="2026-11-20T10:00:00Z", sql_at="2026-11-20T12:00:00Z"),
             cycle(mql_at="2026-11-20T10:00:00Z", sql_at="2026-11-20T12:00:00.000001Z"))  # fmt: skip
    funnel = report(*facts, as_of="2026-11-20T12:00:00Z")["funnel"]
    assert (funnel["mqls"], funnel["sqls"]) == (2, 1)


def test_an_mql_not_reached_yet_is_not_in_the_cohort_even_inside_the_window() -> None:
    assert report(cycle(mql_at="2026-11-25"), as_of="2026-11-20")["funnel"]["mqls"] == 0


def test_leads_qualified_counts_an_mql_reached_after_the_window_but_not_after_as_of() -> None:
    funnel = report(cycle(created_at="2026-11-10", mql_at="2026-12-05"),
                    cycle(created_at="2026-11-10", mql_at="2026-12-11"))["funnel"]  # fmt: skip
    assert (funnel["leads"], funnel["leads_qualified"], funnel["mqls"]) == (2, 1, 0)


def test_later_fields_count_whatever_window_they_fall_in_if_reached() -> None:
    funnel = report(cycle(mql_at="2026-11-30", won_at="2026-12-09"), cycle(mql_at="2026-11-30", lost_at="2026-12-11"))[
        "funnel"
    ]
    assert (funnel["won"], funnel["lost"]) == (1, 0)


# No order between fields


def test_fields_out_of_order_still_count_as_they_are() -> None:
    fact = cycle(mql_at="2026-11-10", sql_at="2026-11-09", handed_over_at="2026-11-12", first_touch_at="2026-11-11")
    document = report(fact)
    assert document["funnel"]["sqls"] == 1 and document["funnel"]["worked"] == 1
    assert document["times"]["time_to_response"] == {"count": 0, "p50": None, "p90": None, "p95": None}


def test_accepted_without_a_handover_counts_as_accepted_over_no_handover() -> None:
    document = report(cycle(mql_at="2026-11-10", accepted_at="2026-11-11"))
    assert document["funnel"]["accepted"] == 1 and document["funnel"]["handed_over"] == 0
    assert document["rates"]["sales_acceptance"] is None


def test_acceptance_may_exceed_one_when_accepted_leads_lack_a_handover() -> None:
    facts = (cycle(mql_at="2026-11-10", handed_over_at="2026-11-10", accepted_at="2026-11-11"),
             cycle(mql_at="2026-11-10", accepted_at="2026-11-11"))  # fmt: skip
    assert report(*facts)["rates"]["sales_acceptance"] == 2.0


# Conversion steps are not chained


def test_conversion_steps_count_every_member_that_reached_the_from_step() -> None:
    facts = (
        cycle(mql_at="2026-11-10", accepted_at="2026-11-12", deal_created_at="2026-11-13"),  # no sql_at
        cycle(mql_at="2026-11-10", deal_created_at="2026-11-13", won_at="2026-11-20"),  # neither sql nor accepted
    )
    conversion = {(step["from"], step["to"]): step for step in report(*facts)["conversion"]}
    assert conversion["mql", "sql"] == {"from": "mql", "to": "sql", "entered": 2, "converted": 0, "rate": 0.0}
    assert conversion["sql", "accepted"]["entered"] == 0 and conversion["sql", "accepted"]["rate"] is None
    assert conversion["accepted", "deal"] == {"from": "accepted", "to": "deal", "entered": 1, "converted": 1,
                                                   "rate": 1.0}  # fmt: skip
    assert conversion["deal", "won"] == {"from": "deal", "to": "won", "entered": 2, "converted": 1, "rate": 0.5}


# by_grade denominators


def test_by_grade_rates_use_the_grades_own_denominators() -> None:
    facts = (
        cycle(mql_at="2026-11-10", grade_at_mql="A1", handed_over_at="2026-11-10", accepted_at="2026-11-11"),
        cycle(mql_at="2026-11-10", grade_at_mql="A1", handed_over_at="2026-11-10"),
        cycle(mql_at="2026-11-10", grade_at_mql="A1", won_at="2026-11-20"),
        cycle(mql_at="2026-11-10", handed_over_at="2026-11-10", accepted_at="2026-11-11"),
    )
    by_grade = report(*facts)["by_grade"]
    assert by_grade == {
        "A1": {"mqls": 3, "accepted": 1, "won": 1, "sales_acceptance": 0.5, "closed_won": 0.3333},
        "none": {"mqls": 1, "accepted": 1, "won": 0, "sales_acceptance": 1.0, "closed_won": 0.0},
    }


# sla_met


def test_sla_met_counts_a_touch_before_a_due_time_still_in_the_future() -> None:
    fact = cycle(mql_at="2026-11-30", handed_over_at="2026-11-30", due_at="2026-12-20", first_touch_at="2026-12-01")
    assert report(fact)["rates"]["sla_met"] == 1.0


def test_sla_met_leaves_out_an_untouched_handover_whose_due_time_is_in_the_future() -> None:
    fact = cycle(mql_at="2026-11-30", handed_over_at="2026-11-30", due_at="2026-12-20")
    assert report(fact)["rates"]["sla_met"] is None


def test_sla_met_counts_an_untouched_handover_past_its_due_time_as_missed() -> None:
    facts = (
        cycle(mql_at="2026-11-30", handed_over_at="2026-11-30", due_at="2026-12-02"),
        cycle(mql_at="2026-11-30", handed_over_at="2026-11-30", due_at="2026-12-02", first_touch_at="2026-12-11"),
    )
    assert report(*facts)["rates"]["sla_met"] == 0.0  # the second touch is not reached: missed as well


def test_sla_met_needs_a_due_time_and_a_reached_handover() -> None:
    facts = (
        cycle(mql_at="2026-11-30", handed_over_at="2026-11-30", first_touch_at="2026-12-01"),
        cycle(mql_at="2026-11-30", due_at="2026-12-02", first_touch_at="2026-12-01"),
        cycle(mql_at="2026-11-30", handed_over_at="2026-12-11", due_at="2026-12-12", first_touch_at="2026-12-01"),
    )
    assert report(*facts)["rates"]["sla_met"] is None


def test_a_touch_exactly_at_the_due_time_meets_the_sla() -> None:
    fact = cycle(mql_at="2026-11-30", handed_over_at="2026-11-30", due_at="2026-12-01T09:00:00Z",
                 first_touch_at="2026-12-01T10:00:00+01:00")  # fmt: skip
    assert report(fact)["rates"]["sla_met"] == 1.0


# Exact arithmetic


def test_rates_are_rounded_half_up_on_the_exact_fraction() -> None:
    facts = [cycle(mql_at="2026-11-10", sql_at="2026-11-11") for _ in range(57)]
    facts += [cycle(mql_at="2026-11-10") for _ in range(800 - 57)]
    assert report(*facts)["rates"]["mql_to_sql"] == 0.0713
    assert report(*facts[56:64])["rates"]["mql_to_sql"] == 0.125  # 1 of 8
    assert report(*facts[55:58])["rates"]["mql_to_sql"] == 0.6667  # 2 of 3


def test_durations_round_half_up_to_whole_seconds_from_microseconds() -> None:
    facts = (
        cycle(mql_at="2026-11-10", qualified_signal_at="2026-11-10T09:00:00Z", handed_over_at="2026-11-10T09:00:01.5Z"),
        cycle(mql_at="2026-11-10", qualified_signal_at="2026-11-10T09:00:00.5Z",
              handed_over_at="2026-11-10T09:00:00.999999Z"),  # 0.499999 s
        cycle(mql_at="2026-11-10", qualified_signal_at="2026-11-10T09:00:00.000001Z",
              handed_over_at="2026-11-10T09:00:00Z"),  # -1 µs: left out
    )  # fmt: skip
    assert report(*facts)["times"]["time_to_lead"] == {"count": 2, "p50": 0, "p90": 2, "p95": 2}


def test_percentiles_of_the_report_are_by_nearest_rank() -> None:
    facts = [
        cycle(mql_at="2026-11-10", handed_over_at="2026-11-10T09:00:00Z", first_touch_at=f"2026-11-10T09:00:{s:02d}Z")
        for s in range(1, 22)
    ]
    assert report(*facts)["times"]["time_to_response"] == {"count": 21, "p50": 11, "p90": 19, "p95": 20}


# Empty values


def test_a_report_over_no_facts_has_zero_counts_and_null_rates_and_times() -> None:
    document = report()
    assert set(document["funnel"].values()) == {0}
    assert set(document["rates"].values()) == {None}
    assert {step["rate"] for step in document["conversion"]} == {None}
    assert document["times"]["time_to_touch"] == {"count": 0, "p50": None, "p90": None, "p95": None}
    assert document["by_grade"] == {} and document["rejection_reasons"] == {}


def test_rejection_reasons_count_only_reached_rejections_with_none_for_a_null_reason() -> None:
    facts = (cycle(mql_at="2026-11-10", rejected_at="2026-11-11", rejection_reason="BAD_TIMING"),
             cycle(mql_at="2026-11-10", rejected_at="2026-11-11"),
             cycle(mql_at="2026-11-10", rejected_at="2026-12-11", rejection_reason="UNQUALIFIED"),
             cycle(mql_at="2026-11-10", rejection_reason="UNQUALIFIED"))  # fmt: skip
    assert report(*facts)["rejection_reasons"] == {"BAD_TIMING": 1, "none": 1}


# Output times and lines


def test_output_times_are_utc_with_a_z_and_no_fraction() -> None:
    document = report(window_from="2026-11-01T01:00:00.7+01:00", window_to="2026-12-01T00:00:00-02:00",
                      as_of="2026-12-10T12:30:00.25")  # fmt: skip
    assert (document["from"], document["to"], document["as_of"]) == (
        "2026-11-01T00:00:00Z",
        "2026-12-01T02:00:00Z",
        "2026-12-10T12:30:00Z",
    )


def test_every_fact_counts_once_even_when_two_are_equal() -> None:
    fact = cycle(contact="1", created_at="2026-11-10", mql_at="2026-11-11")
    assert report(fact, fact)["funnel"]["mqls"] == 2


def test_window_bounds_without_an_offset_are_utc_and_an_empty_window_is_refused() -> None:
    fact = cycle(mql_at="2026-11-10")
    naive = kpi_report([fact], datetime(2026, 11, 1), datetime(2026, 12, 1), datetime(2026, 12, 10))
    assert naive == report(fact)
    with pytest.raises(ValueError, match="the window is empty"):
        kpi_report(
            [fact], parse_instant("2026-12-01"), parse_instant("2026-12-01T01:00:00+01:00"), parse_instant(AS_OF)
        )
