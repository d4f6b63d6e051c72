"""The steps of a handover's SLA clock and which of them are due: the watch's pure decision.

A clock has a round: round 0 is the first owner's, round k the k-th reassigned owner's (a fresh clock from the
reassignment). Its steps are named once and for all, so the ledger can hold each under a unique key:
`reminder:50`, `reminder:80`, `escalation`, `reassignment:1` in round 0; `reminder:50/1`, `escalation/1`,
`reassignment:2` in round 1; no reassignment step once `max_times` is reached.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from app.rules.sla.clock import SlaPoints, sla_points
from app.rules.sla.policy import SlaConfig, Target
from app.rules.values import as_utc

StepKind = Literal["reminder", "escalation", "reassignment"]


@dataclass(frozen=True, slots=True)
class ClockStep:
    """A named point of a clock: what happens (`kind`) and when it is due."""

    name: str
    due_at: datetime

    @property
    def kind(self) -> StepKind:
        return step_kind(self.name)


@dataclass(frozen=True, slots=True)
class DueSteps:
    """What the watch does now: steps to fire, and earlier reminders a later step made pointless (`skip`)."""

    fire: tuple[ClockStep, ...] = ()
    skip: tuple[ClockStep, ...] = ()


def step_kind(name: str) -> StepKind:
    """Return the kind of a step from its name (`reminder:80/1` → reminder)."""
    head = name.split(":", 1)[0].split("/", 1)[0]
    if head not in ("reminder", "escalation", "reassignment"):
        raise ValueError(f"not an SLA step: {name!r}")
    return head  # type: ignore[return-value]


def clock_steps(config: SlaConfig, points: SlaPoints, round_: int = 0) -> tuple[ClockStep, ...]:
    """Return the steps of a clock in round `round_` (0: the first owner's), in time order."""
    suffix = f"/{round_}" if round_ else ""
    steps = [
        ClockStep(f"reminder:{percent:g}{suffix}", at)
        for percent, at in zip(config.reminders, points.reminders, strict=True)
    ]
    if points.escalation_at is not None:
        steps.append(ClockStep(f"escalation{suffix}", points.escalation_at))
    reassignment = config.reassignment
    if reassignment is not None and points.reassignment_at is not None and round_ < reassignment.max_times:
        steps.append(ClockStep(f"reassignment:{round_ + 1}", points.reassignment_at))
    return tuple(sorted(steps, key=lambda step: step.due_at))


def due_steps(
    steps: Sequence[ClockStep], fired: Collection[str], first_touch_at: datetime | None, now: datetime
) -> DueSteps:
    """Return the steps of one clock to fire at `now`: due, not fired before, and only while untouched.

    A touch stops the clock: nothing fires once `first_touch_at` is set, whenever the touch came. When the watch
    finds several reminders due at once (it was down, or the target is short), only the latest of them is sent;
    the earlier ones are skipped, and so are all of them once an escalation or a reassignment is due too.
    """
    if first_touch_at is not None:
        return DueSteps()
    moment = as_utc(now)
    due = [step for step in steps if as_utc(step.due_at) <= moment and step.name not in fired]
    reminders = [step for step in due if step.kind == "reminder"]
    others = tuple(step for step in due if step.kind != "reminder")
    if others:
        return DueSteps(others, tuple(reminders))
    return DueSteps(tuple(reminders[-1:]), tuple(reminders[:-1]))


@dataclass(frozen=True, slots=True)
class StartedClock:
    """A clock started for an owner: the target it counts, its points and its steps."""

    target: Target
    points: SlaPoints
    steps: tuple[ClockStep, ...]


def start_clock(
    config: SlaConfig, stage: str, grade: str | None, started_at: datetime, round_: int = 0
) -> StartedClock | None:
    """Start the clock of a handover of `stage` to a lead of `grade` at `started_at`; None: the stage has no SLA."""
    target = config.target(stage, grade)
    if target is None:
        return None
    points = sla_points(config, target, started_at)
    return StartedClock(target, points, clock_steps(config, points, round_))
