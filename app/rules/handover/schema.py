"""The raw shape of config/handover.yaml, validated by pydantic (see docs/handover.md)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from app.rules.handover.routing_schema import Email
from app.rules.scoring.schema import Label, Slug, Text, _empty_as_default, _none_as_list

MAX_HOURS = 8760

LifecycleStage = Literal[
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
]
LIFECYCLE_STAGES: tuple[str, ...] = get_args(LifecycleStage)
"""HubSpot's default lifecycle stages (internal values), in their forward order."""
TaskType = Literal["CALL", "EMAIL", "TODO"]
PriorityValue = Literal["LOW", "MEDIUM", "HIGH"]
Hours = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=MAX_HOURS)]


def _as_text(value: object) -> object:
    """Read an id written as a number (`queue_id: 12345`) as its digits."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _property_path(value: str) -> str:
    """Check a property named as `contact.<name>` or `company.<name>`."""
    if not re.fullmatch(r"(contact|company)\.[A-Za-z0-9_][A-Za-z0-9_-]*", value):
        raise ValueError("must name a property as contact.<name> or company.<name>")
    return value


def _priority(value: object) -> object:
    """Read a fixed priority (`HIGH`) as `{fixed: HIGH}`."""
    return {"fixed": value} if isinstance(value, str) else value


Identifier = Annotated[str, BeforeValidator(_as_text), StringConstraints(strict=True, min_length=1)]
PropertyPath = Annotated[str, StringConstraints(strict=True), AfterValidator(_property_path)]
Template = Annotated[str, StringConstraints(strict=True)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PrioritySpec(_Spec):
    """A task priority: one fixed value, or by grade with a `default`."""

    fixed: PriorityValue | None = None
    by_grade: dict[Label, PriorityValue] | None = None

    @model_validator(mode="after")
    def _fixed_or_by_grade(self) -> PrioritySpec:
        if (self.fixed is None) == (self.by_grade is None):
            raise ValueError("give either a priority (LOW, MEDIUM, HIGH) or 'by_grade'")
        if self.by_grade is not None and "default" not in self.by_grade:
            raise ValueError("'by_grade' needs a 'default' priority for grades it does not name")
        return self


class LeadLabelSpec(_Spec):
    """A lead's label (`hs_lead_label`, e.g. HOT, WARM, COLD): one value, or by grade with a `default`."""

    fixed: Identifier | None = None
    by_grade: dict[Label, Identifier] | None = None

    @model_validator(mode="after")
    def _fixed_or_by_grade(self) -> LeadLabelSpec:
        if (self.fixed is None) == (self.by_grade is None):
            raise ValueError("give either a label (HOT, WARM, COLD) or 'by_grade'")
        if self.by_grade is not None and "default" not in self.by_grade:
            raise ValueError("'by_grade' needs a 'default' label for grades it does not name")
        return self


class TaskTemplateSpec(_Spec):
    """The task a stage creates for the new owner."""

    subject: Text
    body: Template = ""
    type: TaskType = "TODO"
    priority: Annotated[PrioritySpec, BeforeValidator(_priority)] = PrioritySpec(fixed="MEDIUM")
    queue_id: Identifier | None = None


class DealTemplateSpec(_Spec):
    """The deal a stage creates (typically SQL); pipeline and stage are internal ids."""

    pipeline: Identifier = "default"
    stage: Identifier
    name: Text
    amount_property: PropertyPath | None = None


class StageHandoverSpec(_Spec):
    """What entering one stage of the scoring model does."""

    id: Slug
    owner: Literal["route", "keep", "none"] = "route"
    lifecyclestage: LifecycleStage | None = None
    lead_status: Text | None = None
    response_hours: Hours | None = None
    task: TaskTemplateSpec | None = None
    deal: DealTemplateSpec | None = None
    notify: Annotated[bool, Field(strict=True)] = False


class CalendarSpec(_Spec):
    """Business hours: working days and hours in one time zone, minus holidays."""

    timezone: Text = "UTC"
    workdays: Annotated[list[Text], Field(min_length=1)] = ["mon", "tue", "wed", "thu", "fri"]
    hours: Text = "09:00-17:00"
    holidays: Annotated[list[date], BeforeValidator(_none_as_list)] = []


class DataTaskSpec(_Spec):
    """The task marketing-ops gets while a handover is blocked by missing data."""

    owner: Email
    subject: Text
    body: Template = ""
    due_hours: Hours
    type: TaskType = "TODO"
    priority: PriorityValue = "MEDIUM"
    queue_id: Identifier | None = None


class GateSpec(_Spec):
    data_task: DataTaskSpec | None = None


class FeedbackSpec(_Spec):
    """Lead statuses sales set: accepted ones, and rejected ones with the reason they stand for; optionally the
    list of rejection reasons sales picks in `leadflow_reject_reason` (internal value → label)."""

    accepted: Annotated[list[Text], BeforeValidator(_none_as_list)] = []
    rejected: Annotated[dict[Text, Text], BeforeValidator(_empty_as_default)] = {}
    reasons: Annotated[dict[Identifier, Text], BeforeValidator(_empty_as_default)] = {}


class ClosingSpec(_Spec):
    """What Leadflow does to a rejected handover's deal: the closed-lost stage per pipeline, the reason's property."""

    lost_stages: Annotated[dict[Identifier, Identifier], BeforeValidator(_empty_as_default)] = {"default": "closedlost"}
    lost_reason_property: Identifier | None = "closed_lost_reason"


class RecycleSpec(_Spec):
    """What a rejected lead is set back to."""

    lifecyclestage: LifecycleStage = "lead"
    lead_status: Annotated[str, StringConstraints(strict=True)] | None = None
    engagement_from_recycle: Annotated[bool, Field(strict=True)] = False


class LeadStagesSpec(_Spec):
    """The lead pipeline's stages (ids or labels) as Leadflow reads them: sales' first touch, acceptance, rejection."""

    first_touch: Annotated[list[Text], BeforeValidator(_none_as_list)] = ["Attempting", "Connected"]
    accepted: Annotated[list[Text], BeforeValidator(_none_as_list)] = ["Qualified"]
    rejected: Annotated[list[Text], BeforeValidator(_none_as_list)] = ["Disqualified"]


class LeadsSpec(_Spec):
    """HubSpot's Leads object as the handover record, where the portal has it (docs/handover.md, "Leads")."""

    pipeline: Identifier | None = None
    name: Text = "{contact.firstname} {contact.lastname} ({company.name})"
    type: Identifier | None = None
    label: Annotated[LeadLabelSpec, BeforeValidator(_priority)] | None = None
    stages: Annotated[LeadStagesSpec, BeforeValidator(_empty_as_default)] = LeadStagesSpec()
    reasons: Annotated[dict[Identifier, Identifier], BeforeValidator(_empty_as_default)] = {}


class HandoverSpec(_Spec):
    """The whole of config/handover.yaml."""

    calendar: Annotated[CalendarSpec, BeforeValidator(_empty_as_default)] = CalendarSpec()
    defaults: Annotated[dict[Text, Template], BeforeValidator(_empty_as_default)] = {}
    stages: Annotated[list[StageHandoverSpec], BeforeValidator(_none_as_list)]
    gate: Annotated[GateSpec, BeforeValidator(_empty_as_default)] = GateSpec()
    feedback: Annotated[FeedbackSpec, BeforeValidator(_empty_as_default)] = FeedbackSpec()
    recycle: Annotated[RecycleSpec, BeforeValidator(_empty_as_default)] = RecycleSpec()
    closing: Annotated[ClosingSpec, BeforeValidator(_empty_as_default)] = ClosingSpec()
    leads: Annotated[LeadsSpec, BeforeValidator(_empty_as_default)] | None = None
