"""What marketing sees on the contact: the SLA properties, and the fingerprint that says whether they changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.rules.properties import FIRST_TOUCH_AT, RESPONSE_BUSINESS_MINUTES, SLA_DUE_AT, SLA_STATUS
from app.rules.scoring.writes import format_datetime
from app.rules.sla.clock import SlaStatus


@dataclass(frozen=True, slots=True)
class SlaView:
    """A handover's clock as the contact shows it; `business_minutes` only once touched."""

    status: SlaStatus
    due_at: datetime
    first_touch_at: datetime | None = None
    business_minutes: float | None = None

    def writes(self) -> dict[str, str]:
        """Return the contact properties (an empty value clears a property)."""
        return {
            SLA_STATUS: self.status.value,
            SLA_DUE_AT: format_datetime(self.due_at),
            FIRST_TOUCH_AT: format_datetime(self.first_touch_at) if self.first_touch_at else "",
            RESPONSE_BUSINESS_MINUTES: f"{self.business_minutes:.0f}" if self.business_minutes is not None else "",
        }

    def fingerprint(self) -> str:
        """Return what was written, compactly: the watch writes again only when this changes."""
        touch = f"{int(self.first_touch_at.timestamp())}" if self.first_touch_at else ""
        return f"{self.status.value}|{int(self.due_at.timestamp())}|{touch}"
