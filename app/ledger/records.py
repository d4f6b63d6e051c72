"""What goes into the ledger and what comes out of it: plain frozen records, no ORM objects."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.rules.scoring.assessment import Assessment
from app.rules.sla.first_touch import Touch

# The kind of a contact's property change the signal rules judge only with other contact properties as they were
# then: stored without its contact (so the drain leaves it alone) until the resolver recalls them.
AWAITING_RECALL = "contact.awaiting-recall"


@dataclass(frozen=True)
class NewSignal:
    """A received event about to be stored; `contact_id` is None while the contacts are still unknown."""

    dedupe_key: str
    subscription_type: str
    kind: str
    object_type: str
    object_id: str
    contact_id: str | None
    occurred_at: datetime
    payload: Mapping[str, Any]
    engagement_types: tuple[str, ...] = ()
    source: str = "hubspot"


@dataclass(frozen=True)
class Merge:
    """HubSpot merged `merged` into `survivor`: the ledger re-keys their rows to the survivor."""

    survivor: str
    merged: tuple[str, ...]


@dataclass(frozen=True)
class QuarantinedEvent:
    """An event of a batch that could not be accepted, set aside with why; what of it is readable is kept apart.

    `event` is its JSON text, cut at the ledger's bound; `fingerprint` identifies it across deliveries."""

    event: str
    reason: str
    fingerprint: str
    portal_id: str | None = None
    subscription_type: str | None = None
    object_id: str | None = None


@dataclass(frozen=True)
class QuarantineRecord:
    id: int
    received_at: datetime
    event: str
    reason: str
    portal_id: str | None
    subscription_type: str | None
    object_id: str | None
    replayed_at: datetime | None


@dataclass(frozen=True)
class Intake:
    """Everything one webhook request asks the ledger to record, applied in one transaction; `replayed` names
    quarantined events whose signals this intake carries (a replay)."""

    signals: tuple[NewSignal, ...] = ()
    merges: tuple[Merge, ...] = ()
    forgotten: tuple[str, ...] = ()
    quarantined: tuple[QuarantinedEvent, ...] = ()
    replayed: tuple[int, ...] = ()
    touches: tuple[NewTouch, ...] = ()


@dataclass(frozen=True)
class IntakeResult:
    stored: int
    duplicates: int
    dirty_contacts: frozenset[str]
    pending_objects: int
    forgotten: frozenset[str] = frozenset()
    quarantined: int = 0


@dataclass(frozen=True)
class PendingSignal:
    """A stored signal about a company or an engagement object whose contacts are not yet known."""

    id: int
    kind: str
    subscription_type: str
    object_type: str
    object_id: str
    occurred_at: datetime
    payload: Mapping[str, Any]
    received_at: datetime | None = None  # when Leadflow stored it


@dataclass(frozen=True)
class Resolution:
    """The contacts a pending signal concerns, and the engagement types it gives each of them."""

    signal_id: int
    object_key: str
    occurred_at: datetime
    contact_ids: tuple[str, ...]
    engagement_types: tuple[str, ...] = ()
    # A contact's own change, now judged: it becomes that contact's signal, left for the drain to close (so the
    # reconciler re-marks the contact if Redis loses the dirty mark); None: the resolver closes it itself.
    owner_contact: str | None = None


@dataclass(frozen=True)
class AssessedContact:
    """One contact's assessment as written (or confirmed unchanged) in HubSpot."""

    contact_id: str
    company_id: str | None
    assessment: Assessment
    assessed_at: datetime
    changed: bool
    next_change_at: datetime | None = None  # when its written values would change with no new signal
    created_at: datetime | None = None  # when HubSpot created the contact (`createdate`)


@dataclass(frozen=True)
class ContactStateRecord:
    contact_id: str
    company_id: str | None
    fit: int
    engagement: int
    score: int
    grade: str
    stage: str | None
    reasons: str
    model: str
    qualification_cycle: int
    assessed_at: datetime
    changed_at: datetime
    deleted_at: datetime | None
    last_error: str | None
    recycled_at: datetime | None = None
    next_change_at: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class LedgerCounts:
    signals: int
    pending_signals: int
    engagements: int
    contacts: int
    by_kind: Mapping[str, int] = field(default_factory=dict)
    quarantined: int = 0  # quarantined events not replayed


@dataclass(frozen=True)
class TransitionRecord:
    """A change of stage, with the assessment that caused it (None on rows recorded before migration 0006)."""

    contact_id: str
    from_stage: str | None
    to_stage: str | None
    at: datetime
    cycle: int
    model: str
    fit: int | None = None
    engagement: int | None = None
    score: int | None = None
    grade: str | None = None
    cause: str | None = None  # why the drain assessed the contact (app/sync/scoring/history.py)
    signal_at: datetime | None = None  # when the buyer acted: the newest signal the drain reflected (None: none)


@dataclass(frozen=True)
class ScoreChangeRecord:
    """A change of a contact's scores that Leadflow wrote to HubSpot, with why it was assessed."""

    contact_id: str
    at: datetime
    fit: int
    engagement: int
    score: int
    grade: str
    stage: str | None
    reasons: str
    model: str
    cycle: int
    cause: str
    signal_at: datetime | None = None


@dataclass(frozen=True)
class HandoverRequest:
    """A contact entering a handover stage in a qualification cycle; `key` names the handover everywhere."""

    key: str
    contact_id: str
    stage: str
    cycle: int


@dataclass(frozen=True)
class HandoverRecord:
    key: str
    contact_id: str
    stage: str
    cycle: int
    status: str
    owner_id: str | None
    routing_strategy: str
    routing_reason: str
    task_id: str | None
    deal_id: str | None
    assigned_at: datetime
    due_at: datetime | None
    done_at: datetime | None
    first_response_at: datetime | None
    task_completed_at: datetime | None
    outcome: str | None
    outcome_reason: str | None
    outcome_at: datetime | None
    deal_outcome: str | None
    deal_outcome_at: datetime | None
    notified_at: datetime | None
    escalations: int
    first_touch_at: datetime | None = None
    first_touch_kind: str | None = None
    first_touch_by: str | None = None
    sla_target: str | None = None
    sla_clock_at: datetime | None = None
    sla_due_at: datetime | None = None
    reassignments: int = 0
    earlier_owners: str | None = None
    reassigned_reason: str | None = None
    sla_written: str | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None
    closed_at: datetime | None = None
    feedback_issue: str | None = None
    first_due_at: datetime | None = None
    lead_id: str | None = None
    lead_changed_at: datetime | None = None


def sales_has(handovers: Iterable[HandoverRecord], cycle: int, at: datetime | None = None) -> bool:
    """Return whether sales has the lead: a handover of its qualification `cycle` made and not ended (by `at`)."""

    def open_at(h: HandoverRecord) -> bool:
        if at is None:
            return h.ended_at is None
        return h.assigned_at <= at and (h.ended_at is None or h.ended_at > at)

    return any(h.cycle == cycle and open_at(h) for h in handovers)


@dataclass(frozen=True)
class SlaStart:
    """A started SLA clock: its target, when it started, its due time and its named steps with their due times."""

    target: str
    clock_at: datetime
    due_at: datetime
    steps: tuple[tuple[str, datetime], ...]


@dataclass(frozen=True)
class HandoverDone:
    """What carrying out a handover produced in HubSpot (and its SLA clock, when sla.yaml times its stage)."""

    key: str
    task_id: str | None
    deal_id: str | None
    due_at: datetime | None
    notified: bool
    sla: SlaStart | None = None
    lead_id: str | None = None


@dataclass(frozen=True)
class DueStep:
    """An SLA step whose time has come, with what the watch needs of its handover."""

    id: int
    step: str
    due_at: datetime
    decided_owner: str | None  # a reassignment's new owner, once routing chose it
    decided_reason: str | None  # and why
    key: str
    contact_id: str
    stage: str
    owner_id: str | None
    task_id: str | None
    deal_id: str | None
    sla_target: str
    sla_clock_at: datetime
    reassignments: int
    earlier_owners: str | None
    lead_id: str | None = None  # the cycle's HubSpot Lead, which follows the owner


@dataclass(frozen=True)
class SlaClock:
    """A handover's clock as the watch writes it to the contact and `leadflow sla` shows it."""

    key: str
    contact_id: str
    stage: str
    owner_id: str | None
    sla_target: str
    assigned_at: datetime
    sla_clock_at: datetime
    sla_due_at: datetime
    first_touch_at: datetime | None
    sla_written: str | None
    escalations: int
    reassignments: int
    reminders: int = 0
    earlier_owners: str | None = None  # the owners it was reassigned away from, comma-separated


@dataclass(frozen=True)
class Backlog:
    """A contact's unprocessed signals up to a watermark: how many, when the oldest of them was received, and when
    the newest of them occurred (the buyer's latest action the drain reflects)."""

    signals: int
    oldest_received_at: datetime
    newest_occurred_at: datetime


@dataclass(frozen=True)
class Pruned:
    """What one retention pass removed."""

    signals: int
    contacts: int
    quarantined: int
    score_changes: int = 0


@dataclass(frozen=True)
class ContactHistory:
    """What the ledger holds of one contact's scores and stages: its state now and its timeline, oldest first."""

    contact_id: str
    state: ContactStateRecord | None
    score_changes: tuple[ScoreChangeRecord, ...]
    transitions: tuple[TransitionRecord, ...]
    handovers: tuple[HandoverRecord, ...]

    @property
    def known(self) -> bool:
        """Return whether the ledger holds anything of the contact."""
        return bool(self.state or self.score_changes or self.transitions or self.handovers)


@dataclass(frozen=True)
class NewTouch:
    """A touch about to be recorded, of `contact_id`, or of the contacts whose handover has task `task_id`, deal
    `deal_id` or Lead `lead_id` (HubSpot's task, deal and lead events do not name the contact). A Lead's move is a
    touch only into a stage Leadflow reads (`lead_stage`, judged against the stages setup recorded)."""

    touch: Touch
    contact_id: str | None = None
    task_id: str | None = None
    deal_id: str | None = None
    lead_id: str | None = None
    lead_stage: str | None = None


@dataclass(frozen=True)
class TouchRecord:
    """A recorded touch and what it was to the SLA (`handover_key` None: no handover was open then)."""

    contact_id: str
    kind: str
    owner_id: str | None
    at: datetime
    source_key: str
    handover_key: str | None
    counted: bool
    user_id: str | None = None
