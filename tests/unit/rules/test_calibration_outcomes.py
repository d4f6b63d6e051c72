"""The cohort and its outcomes (app/rules/calibration/outcomes.py): positive, negative or pending, never guessed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.rules.calibration.outcomes import Horizon, Window, accepted, cohort, deal, won
from app.rules.kpis import LeadCycle

AS_OF = datetime(2027, 3, 1, tzinfo=UTC)
HORIZON = Horizon(AS_OF, 90)
OLD = datetime(2026, 11, 1, tzinfo=UTC)  # matured: 120 days before as_of
RECENT = datetime(2027, 2, 1, tzinfo=UTC)  # 28 days before as_of
LATER = datetime(2027, 4, 1, tzinfo=UTC)  # after as_of: not reached


@pytest.mark.parametrize(
    ("cycle", "expected"),
    [
        (LeadCycle(mql_at=OLD), (None, False, False)),  # matured, unanswered: no deal, not won; the answer pending
        (LeadCycle(mql_at=RECENT), (None, None, None)),  # immature: everything pending
        (LeadCycle(mql_at=OLD, rejected_at=OLD), (False, False, False)),
        (LeadCycle(mql_at=RECENT, rejected_at=RECENT), (False, None, None)),  # deal and won wait for maturity …
        (LeadCycle(mql_at=RECENT, deal_created_at=RECENT, won_at=RECENT), (None, None, None)),  # … a fast win too
        (LeadCycle(mql_at=RECENT, accepted_at=RECENT), (True, None, None)),
        (LeadCycle(mql_at=RECENT, accepted_at=RECENT, rejected_at=RECENT), (True, None, None)),  # accepted first
        (LeadCycle(mql_at=OLD, deal_created_at=OLD), (None, True, None)),  # an open deal: won is pending
        (LeadCycle(mql_at=OLD, deal_created_at=OLD, lost_at=OLD), (None, True, False)),
        (LeadCycle(mql_at=OLD, deal_created_at=OLD, won_at=RECENT), (None, True, True)),
        (LeadCycle(mql_at=RECENT, accepted_at=LATER, deal_created_at=LATER, won_at=LATER), (None, None, None)),
        (LeadCycle(mql_at=OLD, accepted_at=LATER, deal_created_at=LATER), (None, False, False)),  # not yet, for good
    ],
)
def test_each_outcome_is_positive_negative_or_pending(
    cycle: LeadCycle, expected: tuple[bool | None, bool | None, bool | None]
) -> None:
    assert (accepted(cycle, HORIZON), deal(cycle, HORIZON), won(cycle, HORIZON)) == expected


def test_a_cycle_matures_exactly_mature_days_after_its_mql() -> None:
    cycle = LeadCycle(mql_at=datetime(2026, 12, 1, tzinfo=UTC))
    assert Horizon(datetime(2027, 3, 1, tzinfo=UTC), 90).matured(cycle)  # 2026-12-01 + 90 days = 2027-03-01
    assert not Horizon(datetime(2027, 2, 28, 23, 59, tzinfo=UTC), 90).matured(cycle)
    assert Horizon(datetime(2026, 12, 1, tzinfo=UTC), 0).matured(cycle)


def test_the_cohort_holds_the_reached_mqls_inside_the_window() -> None:
    facts = [LeadCycle(contact=str(n), mql_at=moment) for n, moment in enumerate([OLD, RECENT, LATER, None])]
    assert [f.contact for f in cohort(facts, Window(), HORIZON)] == ["0", "1"]
    assert [f.contact for f in cohort(facts, Window(start=RECENT), HORIZON)] == ["1"]
    assert [f.contact for f in cohort(facts, Window(end=RECENT), HORIZON)] == ["0"]
