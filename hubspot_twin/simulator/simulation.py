"""Running the simulation: simulated days, the buyers' planned actions, the sales team, a pause after each tick."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hubspot_twin.simulator.actions import apply_action
from hubspot_twin.simulator.clock import SimClock
from hubspot_twin.simulator.plan import PlannedAction, plan_actions
from hubspot_twin.simulator.portal import SeededPortal
from hubspot_twin.simulator.reps import RepProfile
from hubspot_twin.simulator.sales import SalesActivity, SalesTeam
from hubspot_twin.twin import Twin


@dataclass
class SimulationReport:
    days: int
    actions: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    sales: SalesActivity = field(default_factory=SalesActivity)
    reps: dict[str, RepProfile] = field(default_factory=dict)  # each owner's pace (the sales team's truth)


class Simulation:
    """Plays `days` of buyer behaviour (and sales) against a twin whose clock is `clock`."""

    def __init__(
        self,
        twin: Twin,
        clock: SimClock,
        portal: SeededPortal,
        *,
        days: int,
        ticks_per_day: int = 2,
        seed: int | None = None,
    ) -> None:
        self.twin = twin
        self.clock = clock
        self.portal = portal
        self.days = days
        self.ticks_per_day = ticks_per_day
        self.seed = portal.seed if seed is None else seed
        self.start = clock()
        self.plan = plan_actions(portal.contacts, self.start, days, self.seed)
        self.sales = SalesTeam(twin, portal, self.seed, holiday=(self.start, days))

    @property
    def ticks(self) -> int:
        return self.days * self.ticks_per_day

    def run(self, after_tick: Callable[[int], None] = lambda _tick: None) -> SimulationReport:
        """Play every tick in order; `after_tick(n)` runs after tick n (e.g. to let Leadflow catch up)."""
        report = SimulationReport(self.days, sales=self.sales.activity, reps=self.sales.profiles)
        pending = list(self.plan)
        step = timedelta(days=1) / self.ticks_per_day
        for tick in range(self.ticks):
            tick_end = self.start + step * (tick + 1)
            due, pending = _split(pending, tick_end)
            self._play(due, report)
            self.clock.set(tick_end)
            self.sales.play(tick_end)
            after_tick(tick)
        return report

    def _play(self, due: list[PlannedAction], report: SimulationReport) -> None:
        contacts = {contact.index: contact for contact in self.portal.contacts}
        for planned in due:
            self.clock.set(planned.at)
            rng = random.Random(f"{self.seed}:{planned.contact_index}:{planned.at.isoformat()}:{planned.action}")
            if apply_action(self.twin, contacts[planned.contact_index].id, planned.action, planned.at, rng):
                report.actions[planned.action] += 1
            else:
                report.skipped += 1


def _split(actions: list[PlannedAction], before: datetime) -> tuple[list[PlannedAction], list[PlannedAction]]:
    index = next((i for i, action in enumerate(actions) if action.at >= before), len(actions))
    return actions[:index], actions[index:]
