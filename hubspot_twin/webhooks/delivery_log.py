"""What the webhook dispatcher records: one `DeliveryAttempt` per POST, and `DispatchStats` counters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from hubspot_twin.webhooks.delivery import Answer

DELIVERED, RETRYING, GAVE_UP = "delivered", "retrying", "gave-up"


@dataclass(frozen=True)
class DeliveryAttempt:
    """One POST of a batch: the events as sent, the status (None: no answer) or error, and when."""

    batch_id: int
    attempt_number: int
    events: tuple[dict[str, Any], ...]
    status: int | None
    error: str | None
    started_at: float  # epoch seconds
    duration_s: float
    duplicate: bool = False  # a second delivery of a batch already sent (`duplicate_share`)
    outcome: str = ""  # delivered, retrying or gave-up

    @classmethod
    def of(
        cls,
        batch_id: int,
        attempt_number: int,
        events: tuple[dict[str, Any], ...],
        answer: Answer,
        started_at: float,
        duplicate: bool = False,
    ) -> DeliveryAttempt:
        return cls(
            batch_id, attempt_number, events, answer.status, answer.error, started_at, answer.duration_s, duplicate
        )

    @property
    def ok(self) -> bool:
        """Return whether HubSpot would count this attempt delivered."""
        return self.status is not None and self.status < 400

    @property
    def event_ids(self) -> tuple[int, ...]:
        return tuple(int(event["eventId"]) for event in self.events)

    @property
    def finished_at(self) -> float:
        return self.started_at + self.duration_s

    def with_outcome(self, outcome: str) -> DeliveryAttempt:
        return replace(self, outcome=outcome)

    def counts(self) -> dict[str, int]:
        """Return what this attempt adds to the dispatcher's counters."""
        return {
            "attempts": 1,
            "failed_attempts": int(not self.ok),
            "retries": int(self.attempt_number > 0),
            "delivered_batches": int(self.ok),
            "delivered_events": len(self.events) if self.ok else 0,
            "given_up": int(self.outcome == GAVE_UP),
        }


@dataclass(frozen=True)
class DispatchStats:
    """The dispatcher's counters (since start) and its queue state (now)."""

    changes: int
    events: int
    batches: int
    duplicates: int
    attempts: int
    failed_attempts: int
    retries: int
    delivered_batches: int
    delivered_events: int
    given_up: int
    max_in_flight: int
    in_flight: int
    queued_changes: int
    waiting_events: int

    @classmethod
    def of(cls, counts: Mapping[str, int], in_flight: int, queued_changes: int, waiting_events: int) -> DispatchStats:
        names = [
            name for name in cls.__dataclass_fields__ if name not in {"in_flight", "queued_changes", "waiting_events"}
        ]
        return cls(
            **{name: counts.get(name, 0) for name in names},
            in_flight=in_flight,
            queued_changes=queued_changes,
            waiting_events=waiting_events,
        )
