"""The raw shape of config/sla.yaml, validated by pydantic (see docs/sla.md)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from app.rules.handover.routing_schema import Email
from app.rules.handover.schema import MAX_HOURS
from app.rules.scoring.schema import Label, Slug, Text, _empty_as_default, _none_as_list

EngagementKind = Literal["call", "email", "meeting"]
Percent = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, le=1000)]
TargetHours = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=MAX_HOURS)]


def _windows_as_list(value: object) -> object:
    """Read `"09:00-12:00, 13:00-17:00"` as a list of windows, and an empty value as no windows."""
    if value is None:
        return []
    return [part for part in value.split(",") if part.strip()] if isinstance(value, str) else value


def _none_as_dict(value: object) -> object:
    return {} if value is None else value


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _country_code(value: str) -> str:
    """Check an ISO 3166-1 alpha-2 country code as the `holidays` package names countries (`DE`)."""
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise ValueError("must be a two-letter ISO country code in capitals such as DE")
    return value


Windows = Annotated[list[Annotated[str, StringConstraints(strict=True)]], BeforeValidator(_windows_as_list)]


class PublicHolidaysSpec(_Spec):
    """Public holidays of a country (ISO 3166 code) and optionally a subdivision, from the `holidays` package."""

    country: Annotated[str, StringConstraints(strict=True), AfterValidator(_country_code)]
    subdivision: Text | None = None


class CalendarSpec(_Spec):
    """Working windows per weekday (or weekday range such as `mon-fri`) in one time zone, minus closed dates."""

    id: Slug
    timezone: Text
    hours: Annotated[dict[Text, Windows], Field(min_length=1)]
    public_holidays: PublicHolidaysSpec | None = None
    closed: Annotated[list[date], BeforeValidator(_none_as_list)] = []


class TargetSpec(_Spec):
    """The response target of a stage, optionally only for leads of a grade; counted in business hours."""

    id: Slug
    stage: Slug
    grade: Label | None = None
    hours: TargetHours
    calendar: Slug | None = None


class EscalationSpec(_Spec):
    """Who hears of a breach, and how: the owner's manager, the owner's team lead, or a named user."""

    at: Percent = 100
    to: Literal["manager", "team_lead", "user"] = "manager"
    user: Email | None = None
    notify: Annotated[bool, Field(strict=True)] = True
    task: Annotated[bool, Field(strict=True)] = True
    managers: Annotated[dict[Email, Email], BeforeValidator(_none_as_dict)] = {}  # owner's email → manager's
    team_leads: Annotated[dict[Text, Email], BeforeValidator(_none_as_dict)] = {}  # HubSpot team → its lead's email


class ReassignmentSpec(_Spec):
    """Routing a still untouched lead to someone new (never an earlier owner of the handover)."""

    at: Percent = 150
    max_times: Annotated[int, Field(strict=True, ge=1, le=10)] = 1
    move_deal: Annotated[bool, Field(strict=True)] = True


class FirstTouchSpec(_Spec):
    """What stops the clock: engagements on the contact, the handover task done, lead status, deal stage."""

    engagements: Annotated[list[EngagementKind], BeforeValidator(_none_as_list)] = ["call", "email", "meeting"]
    task_completed: Annotated[bool, Field(strict=True)] = True
    lead_status: Annotated[list[Text], BeforeValidator(_none_as_list)] = []
    deal_stage_moved: Annotated[bool, Field(strict=True)] = False
    lead_stage_moved: Annotated[bool, Field(strict=True)] = True
    touch_by_others: Annotated[bool, Field(strict=True)] = False


class SlaSpec(_Spec):
    """The whole of config/sla.yaml."""

    calendars: Annotated[list[CalendarSpec], Field(min_length=1), BeforeValidator(_none_as_list)]
    targets: Annotated[list[TargetSpec], Field(min_length=1), BeforeValidator(_none_as_list)]
    reminders: Annotated[list[Percent], BeforeValidator(_none_as_list)] = [50, 80]
    escalation: Annotated[EscalationSpec, BeforeValidator(_empty_as_default)] = EscalationSpec()
    reassignment: ReassignmentSpec | None = None
    first_touch: Annotated[FirstTouchSpec, BeforeValidator(_empty_as_default)] = FirstTouchSpec()
