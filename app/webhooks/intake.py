"""Accepting a verified batch of events: translate, commit to the ledger, then mark the work in Redis."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from redis.exceptions import RedisError

from app.ledger.records import Intake, IntakeResult
from app.ledger.store import Ledger
from app.webhooks.events import HubSpotEvent
from app.webhooks.translate import EventInvalid, Translated, TranslationContext, translate
from app.worklist import Worklist

logger = logging.getLogger(__name__)


class IntakeRejected(Exception):
    """An event of the batch is malformed for its type; nothing of the batch was stored."""


@dataclass(frozen=True)
class TranslatedBatch:
    """A batch's events as the ledger sees them, and the translation outcomes to count (`accepted:<type>`, …)."""

    intake: Intake
    outcomes: dict[str, int]


@dataclass(frozen=True)
class IntakeReport:
    result: IntakeResult
    outcomes: dict[str, int]


class WebhookIntake:
    """Turns verified events into durable signals and dirty contacts."""

    def __init__(
        self,
        ledger: Ledger,
        worklist: Worklist,
        context: TranslationContext,
        clock: Callable[[], datetime],
    ) -> None:
        self.ledger = ledger
        self.worklist = worklist
        self.context = context
        self.clock = clock

    def accept(self, events: Sequence[HubSpotEvent]) -> IntakeReport:
        """Store the events' signals (the durable step), then mark their contacts dirty (best effort)."""
        return self.record(self.translate(events))

    def translate(self, events: Sequence[HubSpotEvent]) -> TranslatedBatch:
        """Translate every event of the batch, or raise `IntakeRejected` naming the first malformed one."""
        translated = [self._translate(index, event) for index, event in enumerate(events)]
        counts = Counter(
            f"{item.outcome}:{event.subscriptionType}" for event, item in zip(events, translated, strict=True)
        )
        return TranslatedBatch(_combine(translated), dict(counts))

    def record(self, batch: TranslatedBatch) -> IntakeReport:
        """Commit a translated batch to the ledger, then update the worklist and the event counts."""
        now = self.clock()
        result = self.ledger.signals.record_intake(batch.intake, received_at=now)
        outcomes = _outcomes(batch.outcomes, result)
        self._update_worklist(result, outcomes, now)
        return IntakeReport(result, outcomes)

    def _translate(self, index: int, event: HubSpotEvent) -> Translated:
        try:
            return translate(event, self.context)
        except EventInvalid as exc:
            raise IntakeRejected(f"event {index}: {exc}") from None

    def _update_worklist(self, result: IntakeResult, outcomes: dict[str, int], now: datetime) -> None:
        try:
            self.worklist.forget(sorted(result.forgotten))
            self.worklist.mark_dirty(result.dirty_contacts, now.timestamp())
            if result.dirty_contacts:
                self.worklist.schedule("drain")
            if result.pending_objects:
                self.worklist.schedule("resolve")
            self.worklist.count_events(outcomes)
        except RedisError as exc:
            # The ledger holds the signals; the reconciler marks their contacts dirty again.
            logger.warning("webhook.worklist-unavailable", extra={"error": str(exc)})


def _combine(translated: Sequence[Translated]) -> Intake:
    return Intake(
        signals=tuple(signal for item in translated for signal in item.signals),
        merges=tuple(merge for item in translated for merge in item.merges),
        forgotten=tuple(contact for item in translated for contact in item.forgotten),
    )


def _outcomes(translated: dict[str, int], result: IntakeResult) -> dict[str, int]:
    counts: Counter[str] = Counter(translated)
    counts["duplicate"] += result.duplicates
    counts["stored"] += result.stored
    return {key: value for key, value in counts.items() if value}
