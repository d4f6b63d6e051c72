"""Lead-cycle facts from the ledger's rows (app/rules/kpis/cycles.py): one fact per contact and qualification cycle,
each field read as docs/kpis.md's "Facts from the ledger" says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from app.rules.kpis.cycles import ContactFacts, HandoverFacts, StageEntry, lead_cycles
from app.rules.kpis.facts import LeadCycle

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def entry(
    stage: str | None, hours: float, cycle: int = 1, grade: str = "A1", signal: float | None = None
) -> StageEntry:
    return StageEntry("7", cycle, stage, at(hours), grade, 80, at(signal if signal is not None else hours - 0.1))


def handover(stage: str, hours: float, cycle: int = 1, **values: object) -> HandoverFacts:
    return HandoverFacts("7", cycle, stage, at(hours), values.pop("owner_id", "o1"), **values)  # type: ignore[arg-type]


def only(facts: list[LeadCycle]) -> LeadCycle:
    (fact,) = facts
    return fact


def test_a_lead_never_qualified_is_one_cycle_with_only_its_creation() -> None:
    facts = lead_cycles([ContactFacts("7", at(-24))], [], [])
    assert only(facts) == LeadCycle(contact="7", cycle=1, created_at=at(-24))


def test_an_mql_that_becomes_sql_is_handed_over_worked_accepted_and_won() -> None:
    entries = [entry("mql", 1, grade="B2", signal=0.5), entry("sql", 5, grade="A1")]
    handovers = [
        handover("mql", 1.01, first_due_at=at(9), first_touch_at=at(3), deal_id="d1", ended_at=at(5),
                 end_reason="superseded"),
        handover("sql", 5.01, first_due_at=at(6), first_touch_at=at(5.5), outcome="accepted", outcome_at=at(7),
                 deal_id="d1", deal_outcome="won", deal_outcome_at=at(100)),
    ]  # fmt: skip
    fact = only(lead_cycles([ContactFacts("7", at(-24))], entries, handovers))
    assert fact == LeadCycle(
        contact="7", cycle=1, created_at=at(-24), qualified_signal_at=at(0.5), mql_at=at(1), sql_at=at(5),
        grade_at_mql="B2", score_at_mql=80, handed_over_at=at(1.01), owner="o1", due_at=at(9),
        first_touch_at=at(3), accepted_at=at(7), deal_created_at=at(1.01), won_at=at(100),
    )  # fmt: skip


def test_a_contact_entering_sql_directly_has_mql_at_equal_to_sql_at() -> None:
    fact = only(lead_cycles([ContactFacts("7", None)], [entry("sql", 2, grade="A1")], []))
    assert (fact.mql_at, fact.sql_at, fact.grade_at_mql) == (at(2), at(2), "A1")


def test_a_stage_the_model_ranks_above_mql_counts_as_mql() -> None:
    fact = only(lead_cycles([ContactFacts("7", None)], [entry("hot", 2)], [], qualified_stages=("hot", "sql", "mql")))
    assert (fact.mql_at, fact.sql_at) == (at(2), None)


def test_the_first_owner_and_first_deadline_stay_after_a_reassignment() -> None:
    moved = handover("sql", 1, owner_id="o2", earlier_owners="o1", first_due_at=at(2), first_touch_at=at(4))
    fact = only(lead_cycles([ContactFacts("7", None)], [entry("sql", 1)], [moved]))
    assert (fact.owner, fact.due_at, fact.first_touch_at) == ("o1", at(2), at(4))


def test_a_rejection_recycles_the_lead_and_the_next_cycle_begins_then() -> None:
    entries = [entry("mql", 1), entry(None, 30, cycle=2), entry("mql", 50, cycle=2, grade="C3")]
    handovers = [
        handover("mql", 1.01, outcome="rejected", outcome_reason="bad timing", outcome_at=at(20), ended_at=at(20),
                 end_reason="rejected"),
        handover("mql", 50.01, cycle=2),
    ]  # fmt: skip
    first, second = lead_cycles([ContactFacts("7", at(-1), cycles=2)], entries, handovers)
    assert (first.cycle, first.rejected_at, first.rejection_reason, first.accepted_at) == (1, at(20), "bad timing",
                                                                                            None)  # fmt: skip
    assert (second.cycle, second.created_at, second.mql_at, second.grade_at_mql) == (2, at(20), at(50), "C3")


def test_a_later_cycle_without_a_recorded_rejection_begins_with_its_first_transition() -> None:
    _first, second = lead_cycles([ContactFacts("7", None, cycles=2)], [entry(None, 30, cycle=2)], [])
    assert second.created_at == at(30)


def test_the_latest_answer_and_deal_outcome_win() -> None:
    handovers = [
        handover("mql", 1, outcome="accepted", outcome_at=at(2), deal_id="d1", deal_outcome="lost",
                 deal_outcome_at=at(3)),
        handover("sql", 4, outcome="rejected", outcome_at=at(6), deal_id="d1", deal_outcome="won",
                 deal_outcome_at=at(8)),
    ]  # fmt: skip
    fact = only(lead_cycles([ContactFacts("7", None)], [entry("mql", 1)], handovers))
    assert (fact.accepted_at, fact.rejected_at, fact.won_at, fact.lost_at) == (None, at(6), at(8), None)
    assert fact.deal_created_at == at(1)


def test_a_handover_not_carried_out_is_no_handover() -> None:
    blocked = HandoverFacts("7", 1, "sql", None, None)
    fact = only(lead_cycles([ContactFacts("7", None)], [entry("sql", 1)], [blocked]))
    assert (fact.handed_over_at, fact.owner, fact.qualified_signal_at) == (None, None, at(0.9))


def test_times_come_out_in_utc_and_contacts_in_id_order() -> None:
    berlin = timezone(timedelta(hours=1))
    facts = lead_cycles([ContactFacts("10", T0.astimezone(berlin)), ContactFacts("9", None)], [], [])
    assert [(f.contact, f.created_at) for f in facts] == [("9", None), ("10", T0)]
    assert facts[1].created_at is not None and facts[1].created_at.tzinfo == UTC
