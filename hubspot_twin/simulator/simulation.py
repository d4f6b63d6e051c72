"""Running the simulation: simulated days, the buyers' planned actions, the portal's nurture workflows and the
buyers' reactions to their emails, the sales team, a pause after each tick."""

from __future__ import annotations

import bisect
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hubspot_twin.simulator.actions import apply_action
from hubspot_twin.simulator.clock import SimClock
from hubspot_twin.simulator.plan import PlannedAction, plan_actions
from hubspot_twin.simulator.portal import SeededPortal, SimContact
from hubspot_twin.simulator.reactions import plan_reactions
from hubspot_twin.simulator.reps import RepProfile
from hubspot_twin.simulator.sales import SalesActivity, SalesTeam
from hubspot_twin.simulator.workflows import NurtureWorkflows
from hubspot_twin.twin import Twin


@dataclass
class NurtureActivity:
    """The nurture emails the portal's workflows sent, by content id, and the reactions played, by (content id,
    `open` / `click` / `action`)."""

    sent: Counter[str] = field(default_factory=Counter)
    reactions: Counter[tuple[str, str]] = field(default_factory=Counter)


@dataclass
class SimulationReport:
    days: int
    actions: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    sales: SalesActivity = field(default_factory=SalesActivity)
    reps: dict[str, RepProfile] = field(default_factory=dict)  # each owner's pace (the sales team's truth)
    nurture: NurtureActivity = field(default_factory=NurtureActivity)


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
        self._by_id: dict[str, SimContact] = {contact.id: contact for contact in portal.contacts}

    @property
    def ticks(self) -> int:
        return self.days * self.ticks_per_day

    def run(self, after_tick: Callable[[int], None] = lambda _tick: None) -> SimulationReport:
        """Play every tick in order; `after_tick(n)` runs after tick n (e.g. to let Leadflow catch up)."""
        report = SimulationReport(self.days, sales=self.sales.activity, reps=self.sales.profiles)
        pending = list(self.plan)
        step = timedelta(days=1) / self.ticks_per_day
        workflows = NurtureWorkflows(self.twin.feed)
        try:
            for tick in range(self.ticks):
                tick_end = self.start + step * (tick + 1)
                self._send_nurture(workflows, pending, report)
                due, pending = _split(pending, tick_end)
                self._play(due, report)
                self.clock.set(tick_end)
                self.sales.play(tick_end)
                after_tick(tick)
        finally:
            workflows.close()
        return report

    def _send_nurture(
        self, workflows: NurtureWorkflows, pending: list[PlannedAction], report: SimulationReport
    ) -> None:
        """Send the emails of the steps written since the last tick, and put the buyers' reactions among the
        pending actions, in time order."""
        for send in workflows.send_enrolled(self.twin):
            report.nurture.sent[send.content] += 1
            contact = self._by_id.get(send.contact_id)
            if contact is not None:
                for reaction in plan_reactions(contact, send.content, send.at, self.seed):
                    bisect.insort(pending, reaction)

    def _play(self, due: list[PlannedAction], report: SimulationReport) -> None:
        contacts = {contact.index: contact for contact in self.portal.contacts}
        for planned in due:
            self.clock.set(planned.at)
            rng = random.Random(f"{self.seed}:{planned.contact_index}:{planned.at.isoformat()}:{planned.action}")
            if apply_action(self.twin, contacts[planned.contact_index].id, planned.action, planned.at, rng):
                report.actions[planned.action] += 1
                if planned.reaction:
                    report.nurture.reactions[planned.content, planned.reaction] += 1
            else:
                report.skipped += 1


def _split(actions: list[PlannedAction], before: datetime) -> tuple[list[PlannedAction], list[PlannedAction]]:
    index = next((i for i, action in enumerate(actions) if action.at >= before), len(actions))
    return actions[:index], actions[index:]
