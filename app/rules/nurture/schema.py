"""The raw shape of config/nurture.yaml, validated by pydantic (see docs/nurture.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from app.rules.scoring.schema import Slug, Text, _empty_as_default, _none_as_list

DEFAULT_SUPPRESS_WHEN = (
    "contact.hs_email_optout == 'true'"
    " or contact.lifecyclestage in ['customer', 'evangelist', 'other']"
    " or contact.hs_email_hard_bounce_reason_enum != null"
    " or 'unsubscribe' in events_ever"
)
"""Unsubscribed (HubSpot's opt-out flag or an unsubscribe engagement), customer, other (competitors, partners:
HubSpot's lifecycle stage for contacts that are no buyers), hard bounce: only HubSpot's default properties."""


def _integer_as_id(value: object) -> object:
    """Read a HubSpot id written as a YAML number (`sequence: {id: 80000001}`) as its text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _hubspot_id(value: str) -> str:
    if not value.isascii() or not value.isdigit():
        raise ValueError("must be a HubSpot id (digits)")
    return value


HubSpotId = Annotated[str, BeforeValidator(_integer_as_id), StringConstraints(strict=True), AfterValidator(_hubspot_id)]
ClockTime = Annotated[str, StringConstraints(strict=True, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
EventTypes = Annotated[list[Slug], BeforeValidator(_none_as_list)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StepSpec(_Spec):
    """One step of a track: the content id written to HubSpot and what makes it the natural next step."""

    id: Slug
    label: Text | None = None
    after: EventTypes = []
    when: Text | None = None
    completed_by: EventTypes = []


class TrackSpec(_Spec):
    """A track of one funnel phase: entry and exit conditions, a priority, ordered steps."""

    id: Slug
    label: Text | None = None
    priority: Annotated[int, Field(strict=True)]
    enter: Text | None = None
    exit: Text | None = None
    steps: Annotated[list[StepSpec], Field(min_length=1), BeforeValidator(_none_as_list)]


class QuietHoursSpec(_Spec):
    """Local hours without offers (`20:00` to `08:00` runs over midnight), in an IANA time zone."""

    start: ClockTime
    end: ClockTime
    time_zone: Text


class PacingSpec(_Spec):
    """How often a contact may be offered a step, across every track."""

    max_touches: Annotated[int, Field(strict=True, ge=1, le=100)] = 3
    window_days: Annotated[int, Field(strict=True, ge=1, le=366)] = 30
    min_gap_days: Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=366)] = 5
    quiet_hours: QuietHoursSpec | None = None
    suppress_when: Text = DEFAULT_SUPPRESS_WHEN


class SequenceSpec(_Spec):
    """The sales sequence a handed-over contact is enrolled in (Sales Hub)."""

    id: HubSpotId


class DeliverySpec(_Spec):
    """Optional delivery adapters beside the property write: static-list membership per step, and a sequence."""

    lists: Annotated[dict[Slug, HubSpotId], BeforeValidator(_empty_as_default)] = {}
    sequence: SequenceSpec | None = None


class NurtureSpec(_Spec):
    """The whole of config/nurture.yaml."""

    properties: Annotated[dict[Text, Text], BeforeValidator(_empty_as_default)] = {}
    recycled_track: Slug | None = None
    pacing: Annotated[PacingSpec, BeforeValidator(_empty_as_default)] = PacingSpec()
    tracks: Annotated[list[TrackSpec], Field(min_length=1), BeforeValidator(_none_as_list)]
    delivery: Annotated[DeliverySpec, BeforeValidator(_empty_as_default)] = DeliverySpec()
