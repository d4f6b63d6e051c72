"""Loading config/handover.yaml: validate against the scoring model's stages, parse every template, freeze."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from app.rules.config import ConfigFile, parse_config, reject_duplicates, time_zone
from app.rules.errors import ConfigError
from app.rules.handover.calendar import DEFAULT_CALENDAR, BusinessCalendar, parse_hours, weekday_number
from app.rules.handover.schema import (
    CalendarSpec,
    DataTaskSpec,
    DealTemplateSpec,
    FeedbackSpec,
    HandoverSpec,
    LeadsSpec,
    PrioritySpec,
    StageHandoverSpec,
    TaskTemplateSpec,
)
from app.rules.handover.templates import (
    DATA_TASK_PLACEHOLDERS,
    HANDOVER_PLACEHOLDERS,
    Template,
    TemplateError,
    check_placeholder,
    compile_template,
)


@dataclass(frozen=True, slots=True)
class Priority:
    """A task priority: `fixed`, or the longest `by_grade` label the grade starts with, else `default`."""

    fixed: str | None = None
    by_grade: Mapping[str, str] = field(default_factory=dict)

    def for_grade(self, grade: str) -> str:
        """Return the priority of a task for a lead of this grade (`B2` matches `B2`, then `B`)."""
        if self.fixed is not None:
            return self.fixed
        labels = [label for label in self.by_grade if label != "default" and grade.startswith(label)]
        return self.by_grade[max(labels, key=len)] if labels else self.by_grade["default"]


@dataclass(frozen=True, slots=True)
class TaskTemplate:
    subject: Template
    body: Template
    task_type: str
    priority: Priority
    queue_id: str | None = None


@dataclass(frozen=True, slots=True)
class DealTemplate:
    pipeline: str
    stage: str
    name: Template
    amount_property: tuple[str, str] | None = None  # ("company", "annualrevenue")


@dataclass(frozen=True, slots=True)
class StageHandover:
    """What entering a stage does; `owner` is `route`, `keep` or `none`."""

    id: str
    owner: str
    lifecyclestage: str | None = None
    lead_status: str | None = None
    response_hours: float | None = None
    task: TaskTemplate | None = None
    deal: DealTemplate | None = None
    notify: bool = False


@dataclass(frozen=True, slots=True)
class DataTaskTemplate:
    """The task for marketing-ops while a handover waits for data; `owner_email` names its owner."""

    owner_email: str
    subject: Template
    body: Template
    due_hours: float
    task_type: str
    priority: str
    queue_id: str | None = None


@dataclass(frozen=True, slots=True)
class FeedbackRules:
    """Sales' answers: accepted and rejected lead statuses; `reasons` (value → label): the rejection reasons sales
    must pick in `leadflow_reject_reason` (empty: the rejected lead status is the reason)."""

    accepted: frozenset[str] = frozenset()
    rejected: Mapping[str, str] = field(default_factory=dict)
    reasons: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ClosingRules:
    """A rejected handover's deal: moved to the closed-lost stage of its pipeline (pipelines not named: left
    open), with the rejection reason in `lost_reason_property` (None: not written)."""

    lost_stages: Mapping[str, str] = field(default_factory=lambda: {"default": "closedlost"})
    lost_reason_property: str | None = "closed_lost_reason"


@dataclass(frozen=True, slots=True)
class RecycleRules:
    """What a rejected lead goes back to; `engagement_from_recycle`: count only events after the recycle."""

    lifecyclestage: str = "lead"
    lead_status: str | None = None
    engagement_from_recycle: bool = False


Meaning = Literal["first_touch", "accepted", "rejected"]
MEANINGS: tuple[Meaning, ...] = ("first_touch", "accepted", "rejected")


@dataclass(frozen=True, slots=True)
class LeadRules:
    """handover.yaml's `leads`: the pipeline (None: the portal's first), the Lead's name, type and label, the stages
    as Leadflow reads them (meaning → stage ids or labels) and disqualification reasons mapped to Leadflow's."""

    name: Template
    pipeline: str | None = None
    lead_type: str | None = None
    label: Priority | None = None
    stages: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    reasons: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HandoverConfig:
    """The validated content of config/handover.yaml."""

    stages: Mapping[str, StageHandover]
    stage_labels: Mapping[str, str] = field(default_factory=dict)
    stage_order: tuple[str, ...] = ()  # the scoring model's stages, highest first
    calendar: BusinessCalendar = DEFAULT_CALENDAR
    defaults: Mapping[str, str] = field(default_factory=dict)
    data_task: DataTaskTemplate | None = None
    feedback: FeedbackRules = FeedbackRules()
    recycle: RecycleRules = RecycleRules()
    closing: ClosingRules = ClosingRules()
    leads: LeadRules | None = None  # None: no Leads; else where the portal has them (`leadflow setup` finds out)

    def stage(self, stage_id: str) -> StageHandover | None:
        """Return the handover of a stage, or None when entering it hands nothing over."""
        return self.stages.get(stage_id)

    def routes(self, stage_id: str) -> bool:
        """Return whether entering the stage needs an owner from routing (`owner: route`)."""
        stage = self.stages.get(stage_id)
        return stage is not None and stage.owner == "route"

    def ranks_above(self, stage_id: str, other: str) -> bool:
        """Return whether `stage_id` comes before `other` in the scoring model (SQL above MQL)."""
        order = self.stage_order
        return stage_id in order and other in order and order.index(stage_id) < order.index(other)

    def label(self, stage_id: str) -> str:
        """Return the stage's label from the scoring model, or its id."""
        return self.stage_labels.get(stage_id, stage_id)

    def referenced_properties(self) -> tuple[frozenset[str], frozenset[str]]:
        """Return the contact and company properties the templates and deal amounts read."""
        found: dict[str, set[str]] = {"contact": set(), "company": set()}
        for template in self._templates():
            for placeholder in template.placeholders:
                object_name, dot, name = placeholder.partition(".")
                if dot and object_name in found:
                    found[object_name].add(name)
        for stage in self.stages.values():
            if stage.deal and stage.deal.amount_property:
                found[stage.deal.amount_property[0]].add(stage.deal.amount_property[1])
        return frozenset(found["contact"]), frozenset(found["company"])

    def _templates(self) -> list[Template]:
        templates = [t for s in self.stages.values() if s.task for t in (s.task.subject, s.task.body)]
        templates += [s.deal.name for s in self.stages.values() if s.deal]
        if self.data_task:
            templates += [self.data_task.subject, self.data_task.body]
        if self.leads:
            templates.append(self.leads.name)
        return templates


def handover_file(
    stage_ids: Sequence[str], stage_labels: Mapping[str, str] | None = None
) -> ConfigFile[HandoverSpec, HandoverConfig]:
    """config/handover.yaml, for a scoring model with these stages (its sections name them)."""

    def compile_handover(spec: HandoverSpec, file: str) -> HandoverConfig:
        return _compile(spec, file, stage_ids, stage_labels)

    return ConfigFile("handover.yaml", HandoverSpec, compile_handover, ((("stages",), "stage"),))


def parse_handover(
    text: str, stage_ids: Sequence[str], file: str = "<handover>", stage_labels: Mapping[str, str] | None = None
) -> HandoverConfig:
    """Validate and compile the text of a handover file; `file` names it in errors."""
    return parse_config(handover_file(stage_ids, stage_labels), text, file)


def _compile(
    spec: HandoverSpec, file: str, stage_ids: Sequence[str], stage_labels: Mapping[str, str] | None
) -> HandoverConfig:
    reject_duplicates(file, "stage", (stage.id for stage in spec.stages))
    return HandoverConfig(
        stages={stage.id: _stage(file, stage, stage_ids) for stage in spec.stages},
        stage_labels={**{stage_id: stage_id for stage_id in stage_ids}, **(stage_labels or {})},
        stage_order=tuple(stage_ids),
        calendar=_calendar(file, spec.calendar),
        defaults=_defaults(file, spec.defaults),
        data_task=_data_task(file, spec.gate.data_task) if spec.gate.data_task else None,
        feedback=_feedback(file, spec.feedback),
        recycle=RecycleRules(**spec.recycle.model_dump()),
        closing=ClosingRules(dict(spec.closing.lost_stages), spec.closing.lost_reason_property),
        leads=_leads(file, spec.leads, spec.feedback) if spec.leads is not None else None,
    )


def _stage(file: str, spec: StageHandoverSpec, stage_ids: Sequence[str]) -> StageHandover:
    if spec.id not in stage_ids:
        known = ", ".join(stage_ids) or "none"
        raise ConfigError(file, spec.id, f"not a stage of the scoring model (its stages: {known})", subject="stage")
    if spec.owner == "none" and (spec.task or spec.deal):
        raise ConfigError(
            file, spec.id, "a task or a deal needs an owner: use owner 'route' or 'keep'", subject="stage"
        )
    if spec.task is not None and spec.response_hours is None:
        raise ConfigError(file, spec.id, "a task needs 'response_hours' for its due date", subject="stage")
    task = _task(file, spec.id, spec.task) if spec.task else None
    deal = _deal(file, spec.id, spec.deal) if spec.deal else None
    return StageHandover(
        spec.id, spec.owner, spec.lifecyclestage, spec.lead_status, spec.response_hours, task, deal, spec.notify
    )


def _task(file: str, stage_id: str, spec: TaskTemplateSpec) -> TaskTemplate:
    subject = _template(file, stage_id, "task.subject", spec.subject, HANDOVER_PLACEHOLDERS, single_line=True)
    body = _template(file, stage_id, "task.body", spec.body, HANDOVER_PLACEHOLDERS)
    return TaskTemplate(subject, body, spec.type, _priority(spec.priority), spec.queue_id)


def _priority(spec: PrioritySpec) -> Priority:
    return Priority(spec.fixed, dict(spec.by_grade or {}))


def _deal(file: str, stage_id: str, spec: DealTemplateSpec) -> DealTemplate:
    name = _template(file, stage_id, "deal.name", spec.name, HANDOVER_PLACEHOLDERS, single_line=True)
    amount = None
    if spec.amount_property is not None:
        object_name, _, property_name = spec.amount_property.partition(".")
        amount = (object_name, property_name)
    return DealTemplate(spec.pipeline, spec.stage, name, amount)


def _data_task(file: str, spec: DataTaskSpec) -> DataTaskTemplate:
    where = "gate.data_task"
    subject = _template(file, where, "subject", spec.subject, DATA_TASK_PLACEHOLDERS, single_line=True, subject="")
    body = _template(file, where, "body", spec.body, DATA_TASK_PLACEHOLDERS, subject="")
    return DataTaskTemplate(spec.owner, subject, body, spec.due_hours, spec.type, spec.priority, spec.queue_id)


def _template(
    file: str,
    rule: str,
    key: str,
    text: str,
    allowed: Iterable[str],
    *,
    single_line: bool = False,
    subject: str = "stage",
) -> Template:
    try:
        return compile_template(text, allowed, single_line=single_line)
    except TemplateError as error:
        raise ConfigError(file, rule, f"'{key}': {error}", subject=subject) from None


def _defaults(file: str, defaults: Mapping[str, str]) -> dict[str, str]:
    for name in defaults:
        try:
            check_placeholder(name, DATA_TASK_PLACEHOLDERS)
        except TemplateError as error:
            raise ConfigError(file, "defaults", str(error), subject="") from None
    return dict(defaults)


def _calendar(file: str, spec: CalendarSpec) -> BusinessCalendar:
    zone = time_zone(file, "calendar", spec.timezone)
    try:
        opens, closes = parse_hours(spec.hours)
        workdays = frozenset(weekday_number(name) for name in spec.workdays)
    except ValueError as error:
        raise ConfigError(file, "calendar", str(error), subject="") from None
    return BusinessCalendar(zone, workdays, opens, closes, frozenset(spec.holidays))


def _feedback(file: str, spec: FeedbackSpec) -> FeedbackRules:
    both = sorted(set(spec.accepted) & set(spec.rejected))
    if both:
        raise ConfigError(file, "feedback", f"lead status {both[0]!r} is both accepted and rejected", subject="")
    if spec.reasons and not spec.rejected:
        raise ConfigError(file, "feedback", "'reasons' need rejected lead statuses ('rejected')", subject="")
    return FeedbackRules(frozenset(spec.accepted), dict(spec.rejected), dict(spec.reasons))


def _leads(file: str, spec: LeadsSpec, feedback: FeedbackSpec) -> LeadRules:
    """Compile `leads`: its name template, its label by grade, its stages (one meaning per name) and its reasons."""
    name = _template(file, "leads", "name", spec.name, HANDOVER_PLACEHOLDERS, single_line=True, subject="")
    stages: dict[str, tuple[str, ...]] = {meaning: tuple(getattr(spec.stages, meaning)) for meaning in MEANINGS}
    seen: dict[str, str] = {}
    for meaning, names in stages.items():
        for stage in names:
            earlier = seen.setdefault(stage.casefold(), meaning)
            if earlier != meaning:
                raise ConfigError(file, "leads.stages", f"stage {stage!r} is both {earlier} and {meaning}", subject="")
    for given, reason in spec.reasons.items():
        if feedback.reasons and reason not in feedback.reasons:
            known = ", ".join(feedback.reasons)
            raise ConfigError(
                file, "leads.reasons", f"{given}: {reason!r} is not one of feedback.reasons ({known})", subject=""
            )
    label = Priority(spec.label.fixed, dict(spec.label.by_grade or {})) if spec.label is not None else None
    return LeadRules(name, spec.pipeline, spec.type, label, stages, dict(spec.reasons))
