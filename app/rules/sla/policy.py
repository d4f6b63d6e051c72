"""The compiled content of config/sla.yaml: calendars, response targets, reminders, escalation, reassignment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from app.rules.calendar import WorkingCalendar

EngagementKind = Literal["call", "email", "meeting"]


@dataclass(frozen=True, slots=True)
class Target:
    """How much business time the owner has for a first touch of a stage (a grade's leads, when `grade` is set)."""

    id: str
    stage: str
    grade: str | None
    response: timedelta
    calendar: WorkingCalendar


@dataclass(frozen=True, slots=True)
class Escalation:
    """Who hears of an untouched lead at `percent` of the target: `manager`, `team_lead` or `user` (`user_email`)."""

    percent: float = 100
    to: Literal["manager", "team_lead", "user"] = "manager"
    user_email: str | None = None
    notify: bool = True
    task: bool = True
    managers: Mapping[str, str] = field(default_factory=dict)  # owner's email (casefolded) → manager's email
    team_leads: Mapping[str, str] = field(default_factory=dict)  # HubSpot team (casefolded) → its lead's email


@dataclass(frozen=True, slots=True)
class Reassignment:
    """Route a still untouched lead anew at `percent` of the target, at most `max_times` per handover."""

    percent: float = 150
    max_times: int = 1
    move_deal: bool = True  # the handover's deal follows the contact to the new owner


@dataclass(frozen=True, slots=True)
class FirstTouch:
    """What counts as the first touch that stops the clock (see docs/sla.md)."""

    engagements: frozenset[EngagementKind] = frozenset({"call", "email", "meeting"})
    task_completed: bool = True
    lead_statuses: frozenset[str] = frozenset()
    deal_stage_moved: bool = False
    touch_by_others: bool = False  # whether a touch by someone other than the assigned owner stops the clock
    lead_stage_moved: bool = True  # the handover's Lead moved into a stage Leadflow reads (handover.yaml `leads`)


@dataclass(frozen=True, slots=True)
class SlaConfig:
    """The validated content of config/sla.yaml."""

    calendars: Mapping[str, WorkingCalendar]
    targets: tuple[Target, ...]
    reminders: tuple[float, ...] = (50, 80)  # percent of the target, ascending
    escalation: Escalation = Escalation()
    reassignment: Reassignment | None = None
    first_touch: FirstTouch = FirstTouch()
    stages: frozenset[str] = field(default=frozenset())

    def target_by_id(self, target_id: str | None) -> Target | None:
        """Return the target with this id (a handover keeps its target's id), None when the file no longer has it."""
        return next((t for t in self.targets if t.id == target_id), None)

    def target(self, stage: str, grade: str | None) -> Target | None:
        """Return the target of a stage for a grade: the longest grade the lead's starts with, else the stage's."""
        candidates = [t for t in self.targets if t.stage == stage and _matches(t.grade, grade)]
        return max(candidates, key=lambda t: len(t.grade or ""), default=None)


def _matches(target_grade: str | None, grade: str | None) -> bool:
    return target_grade is None or (grade is not None and grade.startswith(target_grade))
