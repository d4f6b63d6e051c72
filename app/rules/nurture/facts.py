"""What the planner knows of a contact: its assessment, properties, engagements and nurture history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from app.rules.scoring.engagement import EngagementEvent


@dataclass(frozen=True, slots=True)
class Offer:
    """A step offered to the contact (`leadflow_nurture_step` written), and when the contact completed it."""

    track: str
    step: str
    offered_at: datetime
    completed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OfferRecord:
    """A row of the ledger's nurture steps as effectiveness reads it: an offer to a contact, when the contact
    completed it and when it became an MQL after it (None: not yet)."""

    contact_id: str
    track: str
    step: str
    offered_at: datetime
    completed_at: datetime | None = None
    converted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NurtureFacts:
    """A contact as the drain knows it; times are aware (naive means UTC), properties HubSpot's raw strings."""

    fit: int = 0
    engagement: int = 0
    grade: str = ""
    stage: str | None = None
    properties: Mapping[str, str] = field(default_factory=dict)
    company: Mapping[str, str] = field(default_factory=dict)  # the primary company's properties
    engagements: tuple[EngagementEvent, ...] = ()
    history: tuple[Offer, ...] = ()
    handed_over: bool = False  # an open handover: sales has the lead
    recycled_at: datetime | None = None  # the last recycle (a rejected handover), if any
