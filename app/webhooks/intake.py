"""Accepting a verified batch of events: translate, commit to the ledger, then mark the work in Redis.

A malformed event (the wrong shape, or lacking a field its type needs) is quarantined in the same transaction
as its neighbours' signals; a replay re-validates quarantined events and records the acceptable ones."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from redis.exceptions import RedisError

from app.ledger.records import Intake, IntakeResult, QuarantinedEvent, QuarantineRecord
from app.ledger.store import Ledger
from app.webhooks.events import EventsInvalid, HubSpotEvent, ParsedBatch, RejectedEvent, parse_event
from app.webhooks.quarantine import quarantined
from app.webhooks.translate import TRANSLATORS, EventInvalid, Translated, TranslationContext, translate
from app.worklist import Worklist

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TranslatedBatch:
    """A batch's events as the ledger sees them, and the translation outcomes to count (`accepted:<type>`, …)."""

    intake: Intake
    outcomes: dict[str, int]


@dataclass(frozen=True)
class IntakeReport:
    result: IntakeResult
    outcomes: dict[str, int]
    reasons: tuple[str, ...] = ()  # why each quarantined event was set aside


@dataclass(frozen=True)
class ReplayReport:
    """Quarantined events replayed (now stored or duplicates), and those still refused with why, by id."""

    replayed: tuple[int, ...]
    refused: dict[int, str] = field(default_factory=dict)


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
        """Store the events' signals (the durable step), then mark their contacts dirty (best effort); an event
        malformed for its type is quarantined."""
        return self.record(self.translate(events))

    def accept_batch(self, batch: ParsedBatch) -> IntakeReport:
        """Accept a parsed webhook body: its well-formed events as `accept` does, its rejected ones quarantined."""
        return self.record(self.translate(batch.events, batch.rejected, batch.sources))

    def translate(
        self,
        events: Sequence[HubSpotEvent],
        rejected: Sequence[RejectedEvent] = (),
        sources: Sequence[object] | None = None,
    ) -> TranslatedBatch:
        """Translate the batch's events; those malformed for their type join the `rejected` ones in quarantine
        (as `sources` has them: their JSON as sent)."""
        translated: list[Translated] = []
        set_aside = [quarantined(item.item, f"event {item.index}: {item.reason}") for item in rejected]
        counts = Counter(f"quarantined:{_known_type(item.item)}" for item in rejected)
        for index, event in enumerate(events):
            try:
                outcome = translate(event, self.context)
            except EventInvalid as exc:
                source = sources[index] if sources is not None else _as_json(event)  # as sent, when known
                set_aside.append(quarantined(source, f"{event.subscriptionType}: {exc}"))
                counts[f"quarantined:{_known_type(event.subscriptionType)}"] += 1
                continue
            translated.append(outcome)
            counts[f"{outcome.outcome}:{event.subscriptionType}"] += 1
        return TranslatedBatch(_combine(translated, set_aside), dict(counts))

    def record(self, batch: TranslatedBatch) -> IntakeReport:
        """Commit a translated batch to the ledger, then update the worklist and the event counts."""
        now = self.clock()
        result = self.ledger.signals.record_intake(batch.intake, received_at=now, first_touch=self.context.first_touch)
        outcomes = _outcomes(batch.outcomes, result)
        self._update_worklist(result, outcomes, now)
        return IntakeReport(result, outcomes, tuple(event.reason for event in batch.intake.quarantined))

    def replay(self, ids: Sequence[int]) -> ReplayReport:
        """Re-validate quarantined events; record those now acceptable (marked replayed) in one transaction."""
        translated: list[Translated] = []
        replayed: list[int] = []
        refused: dict[int, str] = {}
        for entry in self.ledger.quarantine.of(ids):
            try:
                translated.append(translate(_reparse(entry), self.context))
            except (EventsInvalid, EventInvalid) as exc:
                refused[entry.id] = str(exc)
                continue
            replayed.append(entry.id)
        if replayed:
            self.record(TranslatedBatch(_combine(translated, (), tuple(replayed)), {}))
        return ReplayReport(tuple(replayed), refused)

    def _update_worklist(self, result: IntakeResult, outcomes: dict[str, int], now: datetime) -> None:
        try:
            self.worklist.forget(sorted(result.forgotten))
            self.worklist.mark_dirty(result.dirty_contacts, now.timestamp())
            # The resolver first: a meeting's contacts are found before their other signals are drained, so a
            # worker taking jobs in order writes each contact once, not once without the meeting and once with it.
            # (A change awaiting a recall needs no resolver: its contact is dirty, and its drain recalls.)
            if result.pending_objects:
                self.worklist.schedule("resolve")
            if result.dirty_contacts:
                self.worklist.schedule("drain")
            self.worklist.count_events(outcomes)
        except RedisError as exc:
            # The ledger holds the signals; the reconciler marks their contacts dirty again.
            logger.warning("webhook.worklist-unavailable", extra={"error": str(exc)})


def _combine(
    translated: Sequence[Translated], set_aside: Sequence[QuarantinedEvent], replayed: tuple[int, ...] = ()
) -> Intake:
    return Intake(
        signals=tuple(signal for item in translated for signal in item.signals),
        merges=tuple(merge for item in translated for merge in item.merges),
        forgotten=tuple(contact for item in translated for contact in item.forgotten),
        touches=tuple(touch for item in translated for touch in item.touches),
        quarantined=tuple(set_aside),
        replayed=replayed,
    )


def _reparse(entry: QuarantineRecord) -> HubSpotEvent:
    try:
        item = json.loads(entry.event)
    except ValueError:
        raise EventsInvalid("the quarantined text is not whole JSON (cut at the ledger's bound)") from None
    return parse_event(item)


def _as_json(event: HubSpotEvent) -> object:
    return event.model_dump(mode="json", exclude_none=True)


def _known_type(value: object) -> str:
    """The subscription type to count a quarantined event under: a supported one, else `other` (bounded labels)."""
    if isinstance(value, dict):
        value = value.get("subscriptionType")
    return value if isinstance(value, str) and value in TRANSLATORS else "other"


def _outcomes(translated: dict[str, int], result: IntakeResult) -> dict[str, int]:
    counts: Counter[str] = Counter(translated)
    counts["duplicate"] += result.duplicates
    counts["stored"] += result.stored
    return {key: value for key, value in counts.items() if value}
