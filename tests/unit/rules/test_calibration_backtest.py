"""The backtest's comparison of two models: every figure of docs/calibration.md (Backtest) worked out by hand on
three contacts — a real buyer, a tire-kicker sales rejected, and one reality never handed over — with a candidate
whose weights are the current model's inverted."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta

import pytest

from app.rules import EngagementEvent, ScoringModel, parse_routing, parse_scoring_model
from app.rules.calibration.backtest import (
    NOT_ROUTED,
    BacktestReport,
    BacktestWindow,
    HandoverRules,
    backtest,
    iso_week,
)
from app.rules.calibration.outcomes import Horizon
from app.rules.calibration.replay import ReplayContact, Version, Versions
from app.rules.kpis.facts import LeadCycle

START = datetime(2026, 9, 7, tzinfo=UTC)  # a Monday: 2026-W37
WINDOW = BacktestWindow(START, START + timedelta(days=28))
AS_OF = START + timedelta(days=200)
MODEL = """\
model: {name}
fit:
  limit: 100
  rules:
    - {{id: vip, label: VIP, when: "contact.vip == 'yes'", points: {vip}}}
    - {{id: free-mail, label: Free mail, when: "contact.free == 'yes'", points: {free}}}
engagement:
  limit: 100
  events:
    demo: {{label: Demo, points: {demo}}}
stages:
  - {{id: sql, label: SQL, when: "score >= 80"}}
  - {{id: mql, label: MQL, when: "score >= 50"}}
"""
ROUTING = """\
strategies: [territories, fallback]
fallback: ops@example.com
pools:
  - {id: vip-pool, owners: [dana@example.com]}
territories:
  - {id: vips, when: "contact.vip == 'yes'", pool: vip-pool}
"""


def model(name: str, vip: int, free: int, demo: int) -> ScoringModel:
    return parse_scoring_model(MODEL.format(name=name, vip=vip, free=free, demo=demo), f"{name}.yaml")


CURRENT = model("current", 50, -50, 30)
INVERTED = model("inverted", -50, 50, -30)
HANDOVER = HandoverRules({"sql": True, "mql": False}, parse_routing(textwrap.dedent(ROUTING)))


def day(n: float) -> datetime:
    return START + timedelta(days=n)


def contact(contact_id: str, values: dict[str, str], *demos: float) -> ReplayContact:
    return ReplayContact(
        contact_id, Versions.today(values), Versions(), tuple(EngagementEvent("demo", day(d)) for d in demos)
    )


BUYER = contact("1", {"vip": "yes"}, 3)  # current: 50 + 30 = 80, SQL on day 3; inverted: 0
KICKER = contact("2", {"free": "yes"}, 10)  # current: 0 + 30; inverted: 50 + 0 = 50, MQL on day 10
STRANGER = contact("3", {"free": "yes"}, 12)  # as the kicker; reality never handed it over
BUYER_CYCLE = LeadCycle("1", 1, mql_at=day(3), handed_over_at=day(3), accepted_at=day(4), deal_created_at=day(9),
                        won_at=day(40))  # fmt: skip
KICKER_CYCLE = LeadCycle("2", 1, mql_at=day(10), handed_over_at=day(10), rejected_at=day(11))


@pytest.fixture(scope="module")
def report() -> BacktestReport:
    contacts = [(BUYER, [BUYER_CYCLE]), (KICKER, [KICKER_CYCLE]), (STRANGER, [])]
    return backtest(CURRENT, INVERTED, contacts, WINDOW, HANDOVER, Horizon(AS_OF))


def test_mqls_and_sqls_per_iso_week(report: BacktestReport) -> None:
    assert report.weeks == ["2026-W37", "2026-W38"]
    assert dict(report.current.mql_weeks) == {"2026-W37": 1} == dict(report.current.sql_weeks)
    assert dict(report.candidate.mql_weeks) == {"2026-W38": 2} and not report.candidate.sql_weeks
    assert (report.current.mqls, report.current.sqls, report.candidate.mqls) == (1, 1, 2)


def test_the_stages_gained_and_lost_with_when(report: BacktestReport) -> None:
    assert [(m.contact_id, m.stage, m.at) for m in report.lost] == [("1", "sql", day(3))]
    assert [(m.contact_id, m.stage, m.at) for m in report.gained] == [("2", "mql", day(10)), ("3", "mql", day(12))]


def test_the_earliest_qualification_under_each(report: BacktestReport) -> None:
    assert [(e.contact_id, e.current, e.candidate) for e in report.earliest] == [
        ("1", day(3), None), ("2", None, day(10)), ("3", None, day(12))
    ]  # fmt: skip


def test_handovers_per_pool(report: BacktestReport) -> None:
    assert dict(report.current.handovers) == {"vip-pool": 1}
    assert dict(report.candidate.handovers) == {NOT_ROUTED: 2}  # mql hands over with `owner: keep` here


def test_outcomes_on_known_leads_show_the_inverted_model_worse(report: BacktestReport) -> None:
    current, candidate = report.current, report.candidate
    assert (report.handed_over, report.known_positives) == (2, {"accepted": 1, "deal": 1, "won": 1})
    assert (current.qualified, current.with_outcome, current.never_handed_over) == (1, 1, 0)
    assert (candidate.qualified, candidate.with_outcome, candidate.never_handed_over) == (2, 1, 1)
    counts = {o: (c.positives, c.negatives, c.pending) for o, c in current.outcomes.items()}
    assert counts == {"accepted": (1, 0, 0), "deal": (1, 0, 0), "won": (1, 0, 0)}
    counts = {o: (c.positives, c.negatives, c.pending) for o, c in candidate.outcomes.items()}
    assert counts == {"accepted": (0, 1, 0), "deal": (0, 1, 0), "won": (0, 1, 0)}


def test_the_window_bounds_what_is_counted_but_not_the_earliest_qualification() -> None:
    late = BacktestWindow(day(5), day(28))
    found = backtest(CURRENT, CURRENT, [(BUYER, [BUYER_CYCLE])], late, HANDOVER, Horizon(AS_OF))
    assert found.current.mqls == 0 and found.current.qualified == 0 and found.handed_over == 0
    assert [(e.current, e.candidate) for e in found.earliest] == [(day(3), day(3))]
    assert found.gained == found.lost == []


def test_a_history_of_values_is_used_and_today_only_is_counted_apart() -> None:
    later_vip = ReplayContact(
        "4", Versions((Version(day(20), {"vip": "yes"}),)), Versions(), (EngagementEvent("demo", day(3)),)
    )
    found = backtest(CURRENT, CURRENT, [(later_vip, []), (BUYER, [])], WINDOW, HANDOVER, Horizon(AS_OF))
    assert [e.current for e in found.earliest] == [day(20), day(3)]  # an SQL only once the value was set
    assert found.todays_values == 1


def test_iso_weeks_cross_the_year_as_iso_does() -> None:
    assert iso_week(datetime(2027, 1, 1, tzinfo=UTC)) == "2026-W53"


def test_the_text_and_the_json_say_the_same(report: BacktestReport) -> None:
    from app.rules.calibration.backtest_document import backtest_document, backtest_text

    lines = backtest_text(report)
    assert "  2026-W38  mql     0 | 2      sql     0 | 0" in lines, lines[5:9]
    assert "  vip-pool: 1 | 0" in lines
    assert any(line.startswith("warning: 3 contact(s) replayed with today's values") for line in lines)
    assert "    accepted: 0.0 % (n=1) 95 % CI 0.0–79.4 %; pending 0; captures 0 of 1" in lines
    document = backtest_document(report)
    assert document["weeks"][1] == {"week": "2026-W38", "current": {"mql": 0, "sql": 0},
                                    "candidate": {"mql": 2, "sql": 0}}  # fmt: skip
    assert document["outcomes"]["candidate"]["accepted"]["captured"]["rate"] == 0.0
    assert document["outcomes"]["current"]["accepted"]["captured"]["rate"] == 1.0
    assert document["lost"] == [{"contact": "1", "stage": "sql", "at": "2026-09-10T00:00:00Z"}]


def test_a_model_qualifying_a_lead_only_after_reality_handed_it_over_gets_no_credit_for_its_outcome() -> None:
    """The candidate qualifies the buyer on day 12, after sales had it (day 3) and after its deal (day 9): the win
    is the handover's and the deal's doing, not the candidate's."""
    late_buyer = contact("1", {"vip": "yes"}, 12)  # current: MQL+SQL on day 12 only (the demo)
    found = backtest(INVERTED, CURRENT, [(late_buyer, [BUYER_CYCLE])], WINDOW, HANDOVER, Horizon(AS_OF))
    assert (found.candidate.qualified, found.candidate.qualified_late, found.candidate.with_outcome) == (1, 1, 0)
    assert all(counts.positives == 0 for counts in found.candidate.outcomes.values())
    in_time = contact("1", {"vip": "yes"}, 3)
    found = backtest(INVERTED, CURRENT, [(in_time, [BUYER_CYCLE])], WINDOW, HANDOVER, Horizon(AS_OF))
    assert (found.candidate.qualified_late, found.candidate.with_outcome) == (0, 1)


DECAYING = parse_scoring_model(
    """\
model: decaying
fit:
  limit: 100
  rules: []
engagement:
  limit: 100
  half_life_days: 10
  events:
    demo: {label: Demo, points: 60}
stages:
  - {id: mql, label: MQL, when: "engagement >= 50"}
""",
    "decaying.yaml",
)


def decaying(cycles: list[LeadCycle], window: BacktestWindow = WINDOW) -> BacktestReport:
    """A lead with a demo on day 1 (MQL, decaying out by day 4) and another on day 20 (back in)."""
    lead = contact("7", {}, 1, 20)
    return backtest(DECAYING, DECAYING, [(lead, cycles)], window, HandoverRules({"mql": False}), Horizon(AS_OF))


def test_a_lead_decaying_out_and_back_in_within_its_cycle_is_one_mql_and_one_handover() -> None:
    report = decaying([LeadCycle("7", 1, created_at=day(0), mql_at=day(1))])
    assert report.current.mql_weeks == {iso_week(day(1)): 1}
    assert report.current.handovers == {NOT_ROUTED: 1}
    assert report.current.qualified == 1


def test_after_a_recycle_the_next_qualification_counts_again() -> None:
    cycles = [LeadCycle("7", 1, created_at=day(0), mql_at=day(1)), LeadCycle("7", 2, created_at=day(15))]
    report = decaying(cycles)
    assert report.current.mql_weeks == {iso_week(day(1)): 1, iso_week(day(20)): 1}
    assert report.current.handovers == {NOT_ROUTED: 2}


def test_a_re_entry_in_the_window_of_a_cycle_that_qualified_before_it_is_no_mql_of_the_window() -> None:
    report = decaying([LeadCycle("7", 1, created_at=day(0), mql_at=day(1))], BacktestWindow(day(10), day(28)))
    assert report.current.mql_weeks == {}
    assert report.current.handovers == {}
    assert report.current.qualified == 0
    assert [(e.current, e.candidate) for e in report.earliest] == [(day(1), day(1))]


@pytest.mark.parametrize(
    ("from_recycle", "second"),
    [
        (False, 8),  # still qualified when sales rejected it: its new cycle qualifies at the recycle, as the drain does
        (True, 20),  # its new cycle counts only its own events: it qualifies again with the demo of day 20
    ],
)
def test_a_recycled_lead_qualifies_again_in_its_new_cycle(from_recycle: bool, second: int) -> None:
    lead = contact("7", {}, 1, 6, 20)
    cycles = [LeadCycle("7", 1, created_at=day(0), mql_at=day(1)), LeadCycle("7", 2, created_at=day(8))]
    rules = HandoverRules({"mql": False}, from_recycle=from_recycle)
    report = backtest(DECAYING, DECAYING, [(lead, cycles)], WINDOW, rules, Horizon(AS_OF))
    assert report.current.mql_weeks == {iso_week(day(1)): 1, iso_week(day(second)): 1}
    assert report.current.handovers == {NOT_ROUTED: 2}
