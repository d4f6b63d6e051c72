"""What the nurture planner knows of a drained contact: its assessment, HubSpot values, engagements and history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.rules.nurture import NurtureFacts, Offer
from app.sync.pipeline import Member


def nurture_facts(member: Member, history: Mapping[str, Sequence[Offer]]) -> NurtureFacts:
    """Return the planner's facts of a batch member (assessed, with its engagements, by the scoring step; marked by
    the handover step)."""
    assessment = member.assessed()
    return NurtureFacts(
        fit=assessment.fit,
        engagement=assessment.engagement,
        grade=assessment.grade,
        stage=assessment.stage,
        properties={name: value for name, value in member.contact.items() if value is not None},
        company={name: value for name, value in member.company.items() if value is not None},
        engagements=member.engagements,
        history=tuple(history.get(member.contact_id, ())),
        handed_over=member.handed_over,
        recycled_at=member.recycled_at,
    )
