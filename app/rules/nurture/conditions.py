"""What nurture conditions read: the contact's values, its company, its event windows, fit, grade and stage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from app.rules.expressions import PropertyRecord
from app.rules.nurture.facts import NurtureFacts
from app.rules.nurture.policy import NurtureConfig
from app.rules.scoring.assessment import stage_facts
from app.rules.scoring.engagement import EngagementEvent
from app.rules.values import convert_properties


def condition_names(
    config: NurtureConfig, contact: NurtureFacts, events: Sequence[EngagementEvent], now: datetime
) -> dict[str, object]:
    """Return the names a track's, a step's or the suppression's condition reads, as they are at `now`."""
    types = config.property_types
    records = {
        "contact": PropertyRecord(convert_properties(contact.properties, "contact", types)),
        "company": PropertyRecord(convert_properties(contact.company, "company", types)),
    }
    facts = stage_facts(records, events, now, contact.fit, contact.engagement, contact.grade)
    return {**facts, "stage": contact.stage}
