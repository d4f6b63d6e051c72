"""The raw shape of config/routing.yaml, validated by pydantic (see docs/routing.md)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from app.rules.scoring.schema import Slug, Text, _empty_as_default, _none_as_list

STRATEGIES = ("keep-owner", "account-owner", "territories", "fallback")
MAX_WEIGHT = 1000
"""A pool's round-robin cycle is as long as the sum of its weights: keep it small enough to compute at once."""

Strategy = Literal["keep-owner", "account-owner", "territories", "fallback"]


def _email(value: str) -> str:
    """Check that an owner is named by an email address."""
    if not re.fullmatch(r"[^@\s]+@[^@\s]+", value):
        raise ValueError("must be an owner's email address")
    return value


Email = Annotated[str, StringConstraints(strict=True, strip_whitespace=True), AfterValidator(_email)]
Weight = Annotated[int, Field(strict=True, ge=1, le=MAX_WEIGHT)]
Cap = Annotated[int, Field(strict=True, ge=1)]
WeeklyCapacity = Annotated[int, Field(strict=True, ge=1)]
"""Leads a week that sales can work within the SLA's response target (the capacity-aware MQL threshold)."""
Moment = date | datetime  # in this order: a quoted "2026-12-01" stays a date


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AbsenceSpec(_Spec):
    """An out-of-office window from `start` to `end`; a date `end` is the last day away (inclusive)."""

    start: Moment
    end: Moment
    note: Text | None = None


class OwnerSpec(_Spec):
    """Settings of one owner, by email, that hold in every pool."""

    cap: Cap | None = None
    weekly_capacity: WeeklyCapacity | None = None
    weight: Weight | None = None
    timezone: Text | None = None
    out_of_office: Annotated[list[AbsenceSpec], BeforeValidator(_none_as_list)] = []


class MemberSpec(_Spec):
    """An owner of a pool, by email, with its share of the leads."""

    email: Email
    weight: Weight | None = None


def _member(value: object) -> object:
    """Read a bare email in a pool's `owners` as `{email: ...}`."""
    return {"email": value} if isinstance(value, str) else value


class PoolSpec(_Spec):
    """A pool: listed owners, or every active owner of a HubSpot team."""

    id: Slug
    owners: list[Annotated[MemberSpec, BeforeValidator(_member)]] | None = None
    team: Text | None = None
    cap: Cap | None = None
    weekly_capacity: WeeklyCapacity | None = None

    @model_validator(mode="after")
    def _owners_or_team(self) -> PoolSpec:
        if (self.owners is None) == (self.team is None):
            raise ValueError("a pool needs either 'owners' (a list of emails) or 'team' (a HubSpot team name)")
        if self.owners is not None and not self.owners:
            raise ValueError("'owners' must name at least one owner")
        return self


class TerritorySpec(_Spec):
    """A territory: leads matching `when` go to `pool`."""

    id: Slug
    label: Text | None = None
    when: Text
    pool: Slug


class RoutingSpec(_Spec):
    """The whole of config/routing.yaml."""

    strategies: Annotated[list[Strategy], Field(min_length=1)]
    timezone: Text = "UTC"
    properties: Annotated[dict[Text, Text], BeforeValidator(_empty_as_default)] = {}
    owners: Annotated[dict[Email, OwnerSpec], BeforeValidator(_empty_as_default)] = {}
    pools: Annotated[list[PoolSpec], BeforeValidator(_none_as_list)] = []
    territories: Annotated[list[TerritorySpec], BeforeValidator(_none_as_list)] = []
    fallback: Email | None = None
    weekly_capacity: WeeklyCapacity | None = None
