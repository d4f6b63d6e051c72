"""Lead cycles from HubSpot's property histories (app/rules/kpis/backfill.py), and how they join the ledger's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from app.rules.kpis.backfill import Answers, ContactHistory, DealHistory, backfilled_cycles, join_backfill
from app.rules.kpis.facts import LeadCycle

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
ANSWERS = Answers(
    {"CONNECTED", "IN_PROGRESS"}, {"UNQUALIFIED", "BAD_TIMING"}, {"closedwon": "won", "closedlost": "lost"}
)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


Items = Sequence[tuple[float, str]]


def history(lifecycle: Items, statuses: Items = (), owners: Items = (), deals: Sequence[DealHistory] = ()
            ) -> ContactHistory:  # fmt: skip
    def changes(items: Items) -> list[tuple[datetime, str | None]]:
        return [(day(n), value) for n, value in reversed(items)]  # any order: the rules sort

    return ContactHistory("7", day(0), changes(lifecycle), changes(statuses), changes(owners), deals)


def test_a_contact_that_never_reached_mql_has_no_backfilled_cycle() -> None:
    assert backfilled_cycles(history([(0, "subscriber"), (3, "lead")]), ANSWERS) == []


def test_a_lead_that_became_sql_accepted_and_won_is_one_cycle() -> None:
    won = DealHistory(day(12), [(day(12), "appointmentscheduled"), (day(40), "closedwon")])
    early = DealHistory(day(1), [(day(2), "closedlost")])  # before MQL: another story
    found = backfilled_cycles(
        history([(0, "lead"), (5, "marketingqualifiedlead"), (9, "salesqualifiedlead"), (41, "customer")],
                statuses=[(6, "NEW"), (10, "CONNECTED")], owners=[(1, "o0"), (5.5, "o1")], deals=[early, won]),
        ANSWERS,
    )  # fmt: skip
    assert found == [
        LeadCycle(
            contact="7",
            cycle=1,
            created_at=day(0),
            mql_at=day(5),
            sql_at=day(9),
            handed_over_at=day(5.5),
            owner="o1",
            accepted_at=day(10),
            deal_created_at=day(12),
            won_at=day(40),
        )
    ]


def test_a_contact_entering_a_later_stage_directly_is_mql_and_sql_then() -> None:
    (cycle,) = backfilled_cycles(history([(0, "lead"), (4, "opportunity")]), ANSWERS)
    assert (cycle.mql_at, cycle.sql_at) == (day(4), day(4))


def test_a_rejection_ends_the_cycle_and_the_next_mql_begins_another() -> None:
    first, second = backfilled_cycles(
        history([(0, "lead"), (5, "marketingqualifiedlead"), (20, "lead"), (30, "marketingqualifiedlead")],
                statuses=[(6, "CONNECTED"), (8, "BAD_TIMING"), (31, "UNQUALIFIED")]),
        ANSWERS,
    )  # fmt: skip
    assert (first.cycle, first.mql_at, first.accepted_at, first.rejected_at, first.rejection_reason) == (
        1, day(5), None, day(8), "BAD_TIMING"
    )  # fmt: skip
    assert (second.cycle, second.created_at, second.mql_at, second.rejected_at) == (2, day(8), day(30), day(31))


def test_a_rejected_lead_not_qualified_again_has_one_cycle() -> None:
    found = backfilled_cycles(history([(5, "marketingqualifiedlead")], statuses=[(8, "UNQUALIFIED")]), ANSWERS)
    assert [c.cycle for c in found] == [1]


# --- joining the ledger's facts -----------------------------------------------------------------------------------


def test_closed_cycles_before_leadflow_come_first_and_the_ledgers_are_numbered_on() -> None:
    backfilled = [
        LeadCycle(contact="7", cycle=1, mql_at=day(5), rejected_at=day(8), rejection_reason="BAD_TIMING"),
        LeadCycle(contact="7", cycle=2, created_at=day(8), mql_at=day(30)),  # open when Leadflow came: continued
    ]
    ledger = [
        LeadCycle(contact="7", cycle=1, created_at=day(0), mql_at=day(100), handed_over_at=day(100), owner="o2"),
        LeadCycle(contact="7", cycle=2, mql_at=day(200)),
    ]
    joined = join_backfill(ledger, backfilled, {"7": day(100)})
    assert [(f.cycle, f.mql_at, f.owner, f.created_at) for f in joined] == [
        (1, day(5), None, None), (2, day(30), "o2", day(8)), (3, day(200), None, None)
    ]  # fmt: skip


def test_backfilled_cycles_after_leadflow_came_are_left_out_and_unknown_contacts_kept() -> None:
    backfilled = [LeadCycle(contact="7", cycle=1, mql_at=day(150)), LeadCycle(contact="8", cycle=1, mql_at=day(3))]
    ledger = [LeadCycle(contact="7", cycle=1, mql_at=day(100))]
    assert join_backfill(ledger, backfilled, {"7": day(100)}) == [*ledger, backfilled[1]]
