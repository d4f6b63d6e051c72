"""Adding up backtest reports: the reports of disjoint parts of the contacts, added in order, equal the report of
all of them — every count, per-week and per-pool counter, per-contact list and outcome — and reports of different
runs are refused."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from app.rules import EngagementEvent
from app.rules.calibration.backtest import BacktestWindow, backtest
from app.rules.calibration.merge import add_report
from app.rules.calibration.outcomes import Horizon
from app.rules.calibration.replay import ReplayContact, Version, Versions
from app.rules.kpis.facts import LeadCycle
from tests.unit.rules.test_calibration_backtest import AS_OF, CURRENT, HANDOVER, INVERTED, WINDOW, day


def contacts(count: int, seed: int = 4) -> list[tuple[ReplayContact, list[LeadCycle]]]:
    """Contacts with random values (some changing in the window), demos and, for some, a lead cycle in reality."""
    rng = random.Random(seed)
    found = []
    for n in range(count):
        values = {"vip": rng.choice(("yes", "no")), "free": rng.choice(("yes", "no"))}
        versions = [Version(day(rng.uniform(-5, 15)), values)]
        if rng.random() < 0.4:
            versions.append(Version(day(rng.uniform(0, 20)), {**values, "vip": "yes"}))
        demos = tuple(EngagementEvent("demo", day(rng.uniform(-3, 27))) for _ in range(rng.randint(0, 3)))
        contact = ReplayContact(str(n), Versions(tuple(versions)), Versions(), demos)
        handed = day(rng.uniform(0, 25))
        cycles = [LeadCycle(str(n), 1, mql_at=handed, handed_over_at=handed, accepted_at=handed + timedelta(days=1))]
        found.append((contact, cycles if rng.random() < 0.3 else []))
    return found


def test_the_parts_added_in_order_are_the_whole() -> None:
    every = contacts(60)
    whole = backtest(CURRENT, INVERTED, every, WINDOW, HANDOVER, Horizon(AS_OF))
    assert whole.current.mqls and whole.candidate.mqls and whole.gained and whole.lost and whole.handed_over
    added = backtest(CURRENT, INVERTED, every[:7], WINDOW, HANDOVER, Horizon(AS_OF))
    for first in range(7, 60, 13):
        add_report(added, backtest(CURRENT, INVERTED, every[first : first + 13], WINDOW, HANDOVER, Horizon(AS_OF)))
    assert added == whole


def test_reports_of_different_runs_are_refused() -> None:
    part = contacts(5)
    report = backtest(CURRENT, INVERTED, part, WINDOW, HANDOVER, Horizon(AS_OF))
    other = BacktestWindow(WINDOW.start, WINDOW.end + timedelta(days=1))
    with pytest.raises(ValueError, match=r"report\.window"):
        add_report(report, backtest(CURRENT, INVERTED, part, other, HANDOVER, Horizon(AS_OF)))
