"""Loading config/sla.yaml: validate against the scoring model's stages and grades, build calendars, freeze."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, timedelta
from itertools import pairwise

import holidays

from app.rules.calendar import Window, WorkingCalendar
from app.rules.config import ConfigFile, parse_config, reject_duplicates, time_zone
from app.rules.errors import ConfigError
from app.rules.handover.calendar import WEEKDAYS, parse_hours, weekday_number
from app.rules.scoring.model import ScoringModel
from app.rules.sla.policy import Escalation, FirstTouch, Reassignment, SlaConfig, Target
from app.rules.sla.schema import (
    CalendarSpec,
    EscalationSpec,
    PublicHolidaysSpec,
    ReassignmentSpec,
    SlaSpec,
    TargetSpec,
)

ANCHORS = ((("calendars",), "calendar"), (("targets",), "target"))


def sla_file(stage_ids: Sequence[str], grades: Collection[str]) -> ConfigFile[SlaSpec, SlaConfig]:
    """config/sla.yaml, for a scoring model with these stages and grades (full labels and fit labels)."""

    def compile_sla(spec: SlaSpec, file: str) -> SlaConfig:
        return _compile(spec, file, stage_ids, grades)

    return ConfigFile("sla.yaml", SlaSpec, compile_sla, ANCHORS)


def sla_grades(model: ScoringModel) -> frozenset[str]:
    """Return the grades a target may name: every full grade the model produces (`A1`) and every fit label (`A`)."""
    return frozenset(model.grade_labels) | {band.label for band in model.fit_grades}


def parse_sla(text: str, stage_ids: Sequence[str], grades: Collection[str], file: str = "<sla>") -> SlaConfig:
    """Validate and compile the text of an SLA file; `file` names it in errors."""
    return parse_config(sla_file(stage_ids, grades), text, file)


def _compile(spec: SlaSpec, file: str, stage_ids: Sequence[str], grades: Collection[str]) -> SlaConfig:
    reject_duplicates(file, "calendar", (calendar.id for calendar in spec.calendars))
    reject_duplicates(file, "target", (target.id for target in spec.targets))
    calendars = {calendar.id: _calendar(file, calendar) for calendar in spec.calendars}
    targets = tuple(_target(file, target, calendars, stage_ids, grades) for target in spec.targets)
    _reject_same_target(file, targets)
    reminders, escalation = _clock(file, spec)
    return SlaConfig(
        calendars=calendars,
        targets=targets,
        reminders=reminders,
        escalation=escalation,
        reassignment=_reassignment(spec.reassignment),
        first_touch=FirstTouch(
            frozenset(spec.first_touch.engagements),
            spec.first_touch.task_completed,
            frozenset(spec.first_touch.lead_status),
            spec.first_touch.deal_stage_moved,
            spec.first_touch.touch_by_others,
            spec.first_touch.lead_stage_moved,
        ),
        stages=frozenset(target.stage for target in targets),
    )


def _calendar(file: str, spec: CalendarSpec) -> WorkingCalendar:
    zone = time_zone(file, spec.id, spec.timezone, subject="calendar")
    try:
        week = _week(spec.hours)
    except ValueError as error:
        raise ConfigError(file, spec.id, f"'hours': {error}", subject="calendar") from None
    if not any(week):
        raise ConfigError(file, spec.id, "'hours' has no working window on any weekday", subject="calendar")
    public = _public_holidays(file, spec.id, spec.public_holidays)
    return WorkingCalendar(zone, week, frozenset(spec.closed), public)


def _week(hours: Mapping[str, list[str]]) -> tuple[tuple[Window, ...], ...]:
    week: list[tuple[Window, ...] | None] = [None] * 7
    for days, texts in hours.items():
        windows = tuple(sorted(parse_hours(text) for text in texts))
        _reject_overlap(days, windows)
        for day in _weekdays(days):
            if week[day] is not None:
                raise ValueError(f"{WEEKDAYS[day]} is given more than once")
            week[day] = windows
    return tuple(windows or () for windows in week)


def _weekdays(text: str) -> range:
    first, dash, last = text.partition("-")
    start = weekday_number(first)
    end = weekday_number(last) if dash else start
    if end < start:
        raise ValueError(f"weekday range {text!r} must run forward (e.g. mon-fri)")
    return range(start, end + 1)


def _reject_overlap(days: str, windows: tuple[Window, ...]) -> None:
    for earlier, later in pairwise(windows):
        if later[0] < earlier[1]:
            raise ValueError(f"the windows of {days!r} overlap")


def _public_holidays(file: str, calendar_id: str, spec: PublicHolidaysSpec | None) -> Callable[[date], bool]:
    if spec is None:
        return _no_public_holidays
    try:
        found = holidays.country_holidays(spec.country, subdiv=spec.subdivision)
    except NotImplementedError as error:  # the package's answer to an unknown country or subdivision
        raise ConfigError(file, calendar_id, f"'public_holidays': {error}", subject="calendar") from None
    return found.__contains__


def _no_public_holidays(day: date) -> bool:
    return False


def _target(
    file: str,
    spec: TargetSpec,
    calendars: Mapping[str, WorkingCalendar],
    stage_ids: Sequence[str],
    grades: Collection[str],
) -> Target:
    if spec.stage not in stage_ids:
        known = ", ".join(stage_ids) or "none"
        problem = f"'stage': {spec.stage!r} is not a stage of the scoring model (its stages: {known})"
        raise ConfigError(file, spec.id, problem, subject="target")
    if spec.grade is not None and spec.grade not in grades:
        problem = f"'grade': {spec.grade!r} is not a grade the scoring model produces (e.g. {_examples(grades)})"
        raise ConfigError(file, spec.id, problem, subject="target")
    calendar_id = spec.calendar or next(iter(calendars))
    if calendar_id not in calendars:
        problem = f"'calendar': no calendar {calendar_id!r} (calendars: {', '.join(calendars)})"
        raise ConfigError(file, spec.id, problem, subject="target")
    return Target(spec.id, spec.stage, spec.grade, timedelta(hours=spec.hours), calendars[calendar_id])


def _examples(grades: Collection[str]) -> str:
    return ", ".join(sorted(grades)[:6]) or "none"


def _reject_same_target(file: str, targets: Sequence[Target]) -> None:
    seen: dict[tuple[str, str | None], str] = {}
    for target in targets:
        key = (target.stage, target.grade)
        if key in seen:
            grade = f" and grade {target.grade!r}" if target.grade else ""
            problem = f"stage {target.stage!r}{grade} already has target {seen[key]!r}"
            raise ConfigError(file, target.id, problem, subject="target")
        seen[key] = target.id


def _clock(file: str, spec: SlaSpec) -> tuple[tuple[float, ...], Escalation]:
    reminders = tuple(spec.reminders)
    if list(reminders) != sorted(set(reminders)):
        raise ConfigError(file, "reminders", "must be ascending percentages without repeats", subject="")
    if reminders and reminders[-1] >= spec.escalation.at:
        problem = f"every reminder must come before the escalation at {spec.escalation.at:g} %"
        raise ConfigError(file, "reminders", problem, subject="")
    if spec.reassignment is not None and spec.reassignment.at <= spec.escalation.at:
        problem = f"'at' must come after the escalation at {spec.escalation.at:g} %"
        raise ConfigError(file, "reassignment", problem, subject="")
    return reminders, _escalation(file, spec.escalation)


def _escalation(file: str, escalation: EscalationSpec) -> Escalation:
    if (escalation.to == "user") != (escalation.user is not None):
        problem = "'user' names the recipient exactly when 'to' is 'user'"
        raise ConfigError(file, "escalation", problem, subject="")
    if not (escalation.notify or escalation.task):
        raise ConfigError(file, "escalation", "needs 'notify', 'task' or both", subject="")
    return Escalation(
        escalation.at,
        escalation.to,
        escalation.user,
        escalation.notify,
        escalation.task,
        {owner.casefold(): manager for owner, manager in escalation.managers.items()},
        {team.casefold(): lead for team, lead in escalation.team_leads.items()},
    )


def _reassignment(spec: ReassignmentSpec | None) -> Reassignment | None:
    return Reassignment(spec.at, spec.max_times, spec.move_deal) if spec is not None else None
