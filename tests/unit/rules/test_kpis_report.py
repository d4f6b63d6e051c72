"""The KPI report of docs/kpis.md on a small fact set computed by hand: every key of the JSON object."""

from __future__ import annotations

from pathlib import Path

from app.rules.kpis import LeadCycle, kpi_report, parse_facts, parse_instant

# tests/fixtures/kpis/small_portal.jsonl, window [2026-11-01, 2026-12-01), as of 2026-12-10.
# C (mql_at reached, in the window): c1 c2 c3 c7 c8.
# L (created_at reached, in the window): c2 c3 c4 c5 c6; of them c2, c3 and c5 reached mql_at (c5 after the window).
FACTS = (Path(__file__).resolve().parents[2] / "fixtures" / "kpis" / "small_portal.jsonl").read_text()

EXPECTED = {
    "from": "2026-11-01T00:00:00Z",
    "to": "2026-12-01T00:00:00Z",
    "as_of": "2026-12-10T00:00:00Z",
    "funnel": {
        "leads": 5, "leads_qualified": 3, "mqls": 5, "sqls": 2, "handed_over": 5, "worked": 3, "accepted": 2,
        "rejected": 2, "deals": 2, "won": 1, "lost": 1,
    },
    "rates": {
        "lead_to_mql": 0.6, "mql_to_sql": 0.4, "sales_acceptance": 0.4, "worked": 0.6, "closed_won": 0.2,
        "win": 0.5,
        "sla_met": 0.3333,  # decided: c1 (met), c2 (touched late), c3 (due passed untouched); c7 undecided
    },
    "conversion": [
        {"from": "mql", "to": "sql", "entered": 5, "converted": 2, "rate": 0.4},
        {"from": "sql", "to": "accepted", "entered": 2, "converted": 2, "rate": 1.0},
        {"from": "accepted", "to": "deal", "entered": 2, "converted": 2, "rate": 1.0},
        {"from": "deal", "to": "won", "entered": 2, "converted": 1, "rate": 0.5},
    ],
    "times": {
        "time_to_lead": {"count": 2, "p50": 60, "p90": 120, "p95": 120},  # c1 60 s, c2 120 s
        "time_to_response": {"count": 3, "p50": 25_080, "p90": 86_400, "p95": 86_400},  # c1 3540, c2, c8
        "time_to_touch": {"count": 2, "p50": 3_600, "p90": 25_200, "p95": 25_200},  # c1, c2
    },
    "by_grade": {
        "A1": {"mqls": 2, "accepted": 1, "won": 1, "sales_acceptance": 0.5, "closed_won": 0.5},
        "B2": {"mqls": 2, "accepted": 1, "won": 0, "sales_acceptance": 0.5, "closed_won": 0.0},
        "none": {"mqls": 1, "accepted": 0, "won": 0, "sales_acceptance": 0.0, "closed_won": 0.0},
    },
    "rejection_reasons": {"UNQUALIFIED": 1, "none": 1},
}  # fmt: skip


def report(facts: list[LeadCycle], by: str | None = None) -> dict[str, object]:
    window_from, window_to, as_of = (
        parse_instant("2026-11-01"),
        parse_instant("2026-12-01"),
        parse_instant("2026-12-10"),
    )
    return kpi_report(facts, window_from, window_to, as_of, "week" if by == "week" else None)


def test_the_report_of_a_small_fact_set_is_the_hand_computed_one() -> None:
    assert report(parse_facts(FACTS)) == EXPECTED


def test_the_report_has_exactly_the_contracts_keys_and_periods_only_when_cut() -> None:
    facts = parse_facts(FACTS)
    assert list(report(facts)) == ["from", "to", "as_of", "funnel", "rates", "conversion", "times", "by_grade",
                                   "rejection_reasons"]  # fmt: skip
    assert list(report(facts, by="week"))[-1] == "periods"


def test_grades_and_rejection_reasons_are_listed_in_sorted_order() -> None:
    document = report(parse_facts(FACTS))
    assert list(document["by_grade"]) == sorted(document["by_grade"])  # type: ignore[call-overload]
    assert list(document["rejection_reasons"]) == sorted(document["rejection_reasons"])  # type: ignore[call-overload]


def test_the_order_of_the_lines_does_not_change_the_report() -> None:
    lines = [line for line in FACTS.splitlines() if line.strip()]
    assert report(parse_facts("\n".join(reversed(lines)))) == EXPECTED
