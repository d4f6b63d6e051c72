"""The dashboard's added figures: tiles against the previous period, Pareto, times by owner, breaches, business
hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from app.rules.handover.calendar import BusinessCalendar
from app.rules.kpis import LeadCycle, compute_kpis, kpi_report, parse_facts, parse_instant
from app.rules.kpis.business_hours import TouchClock, business_response
from app.rules.kpis.document import report_document
from app.rules.kpis.panels import breaches_this_week, pareto, previous_window, tiles, times_by_owner
from app.rules.kpis.window_facts import FactIndex, indexed_kpis

FACTS = parse_facts((Path(__file__).resolve().parents[2] / "fixtures" / "kpis" / "small_portal.jsonl").read_text())
FROM, TO, AS_OF = parse_instant("2026-11-01"), parse_instant("2026-12-01"), parse_instant("2026-12-10")


def test_the_previous_period_has_the_same_length_and_ends_where_the_window_starts() -> None:
    assert previous_window(FROM, TO) == (parse_instant("2026-10-02"), FROM)


def test_tiles_give_each_rate_with_its_n_the_previous_rate_and_the_change_in_points() -> None:
    current = compute_kpis(FACTS, FROM, TO, AS_OF, "week")
    previous = compute_kpis(FACTS, *previous_window(FROM, TO), AS_OF)
    found = {tile.key: tile for tile in tiles(current, previous)}
    assert list(found) == ["mql_to_sql", "sales_acceptance", "worked", "closed_won", "win", "sla_met"]
    assert (found["mql_to_sql"].ratio.part, found["mql_to_sql"].ratio.whole) == (2, 5)
    assert len(found["win"].trend) == len(current.periods or ())
    for tile in found.values():
        now, before = tile.ratio.value, tile.previous.value
        assert tile.change == (None if now is None or before is None else round((now - before) * 100, 1))


def test_pareto_sorts_by_count_with_the_cumulative_share() -> None:
    rows = pareto({"BAD_TIMING": 2, "UNQUALIFIED": 5, "none": 1, "AAA": 2})
    assert [(r.reason, r.count) for r in rows] == [("UNQUALIFIED", 5), ("AAA", 2), ("BAD_TIMING", 2), ("none", 1)]
    assert [round(r.cumulative, 3) for r in rows] == [0.5, 0.7, 0.9, 1.0]
    assert pareto({}) == []


def test_times_by_owner_split_the_cohort_and_add_up_to_the_report() -> None:
    by_owner = times_by_owner(FACTS, FROM, TO, AS_OF)
    report = kpi_report(FACTS, FROM, TO, AS_OF)
    for key in ("time_to_lead", "time_to_response"):
        assert sum(times[key].count for times in by_owner.values()) == report["times"][key]["count"]


def test_breaches_this_week_are_due_since_monday_and_untouched_by_then() -> None:
    now = datetime(2026, 12, 3, 12, tzinfo=UTC)  # a Thursday
    monday = datetime(2026, 11, 30, tzinfo=UTC)
    facts = [
        LeadCycle(contact="1", due_at=monday + timedelta(hours=9)),  # untouched: a breach
        LeadCycle(contact="2", due_at=monday + timedelta(hours=9), first_touch_at=monday + timedelta(hours=10)),
        LeadCycle(contact="3", due_at=monday + timedelta(hours=9), first_touch_at=monday + timedelta(hours=8)),
        LeadCycle(contact="4", due_at=monday - timedelta(hours=1)),  # last week
        LeadCycle(contact="5", due_at=now + timedelta(hours=1)),  # not due yet
    ]
    assert [fact.contact for fact in breaches_this_week(facts, now)] == ["1", "2"]


def test_business_response_counts_working_time_of_each_cycles_first_handover() -> None:
    calendar = BusinessCalendar(ZoneInfo("UTC"), frozenset(range(5)), 9 * 60, 17 * 60)  # Mon-Fri 09:00-17:00
    friday_4pm = datetime(2026, 11, 27, 16, tzinfo=UTC)
    cohort = [LeadCycle(contact="1", cycle=1), LeadCycle(contact="2", cycle=1)]
    clocks = [
        TouchClock("1", 1, "o1", friday_4pm, friday_4pm, friday_4pm + timedelta(days=3, hours=-6), calendar),
        TouchClock("1", 1, "o1", friday_4pm + timedelta(days=1), friday_4pm, None, calendar),  # a later handover
        TouchClock("2", 1, "o2", friday_4pm, friday_4pm, None, calendar),  # not touched
        TouchClock("3", 1, "o2", friday_4pm, friday_4pm, friday_4pm + timedelta(hours=1), calendar),  # not in C
    ]
    found = business_response(cohort, clocks, friday_4pm + timedelta(days=7))
    # Friday 16:00-17:00 and Monday 09:00-10:00: two working hours, though 66 hours passed.
    assert found["all"].seconds == (7200,)
    assert found["o1"].seconds == (7200,)
    assert "o2" not in found


def test_the_report_of_a_windows_indexed_facts_equals_the_report_of_all_facts() -> None:
    index = FactIndex(FACTS)
    for start, end in (
        (FROM, TO),
        (parse_instant("2026-10-15"), parse_instant("2026-11-20")),
        previous_window(FROM, TO),
    ):
        subset = index.within(start, end)
        assert len(subset) <= len(FACTS)
        assert kpi_report(subset, start, end, AS_OF, "week") == kpi_report(FACTS, start, end, AS_OF, "week")


def test_the_indexed_report_equals_the_report_of_all_facts_with_its_periods() -> None:
    index = FactIndex(FACTS)
    for by in (None, "week", "month"):
        expected = kpi_report(FACTS, parse_instant("2026-10-20"), TO, AS_OF, by)  # type: ignore[arg-type]
        found = indexed_kpis(index, parse_instant("2026-10-20"), TO, AS_OF, by)  # type: ignore[arg-type]
        assert report_document(found) == expected


def test_a_touch_after_as_of_is_not_counted_in_business_hours() -> None:
    calendar = BusinessCalendar(ZoneInfo("UTC"), frozenset(range(7)), 0, 1440)
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    clocks = [TouchClock("1", 1, "o1", start, start, start + timedelta(hours=1), calendar)]
    assert business_response([LeadCycle(contact="1", cycle=1)], clocks, start)["all"].count == 0
