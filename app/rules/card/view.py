"""What the contact card shows: the contact's state on the card and the JSON document the card renders.

States, in the order they are decided: `handed_over` (an open handover of the current cycle; its SLA clock says
on track, due soon — `at_risk` —, overdue — `breached` — or answered in time or late by a first touch),
`accepted` / `rejected` (sales answered the current cycle's handover), `recycled` (a rejected lead back in a new
cycle, nothing handed over yet), `nurtured` (a nurture track holds it) and `scored`. A contact Leadflow has not
scored has no document at all: the endpoint answers 404 and the card says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.rules.card.answer import answer_choices
from app.rules.handover.config import HandoverConfig
from app.rules.scoring.assessment import SEPARATOR

NURTURING = frozenset({"active", "waiting", "paused"})


@dataclass(frozen=True, slots=True)
class CardScores:
    """The contact's last assessment as the ledger holds it; `reasons` is the text written to HubSpot."""

    fit: int
    engagement: int
    score: int
    grade: str
    stage: str | None
    reasons: str
    model: str
    cycle: int
    assessed_at: datetime
    recycled_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CardNurture:
    state: str
    track: str | None
    step: str | None
    due_at: datetime | None


@dataclass(frozen=True, slots=True)
class CardSla:
    """The open handover's clock as the contact shows it (the SLA watch's view of it)."""

    target: str
    status: str
    due_at: datetime
    business_minutes: float | None = None


@dataclass(frozen=True, slots=True)
class CardHandover:
    key: str
    stage: str
    cycle: int
    status: str
    owner_id: str | None
    assigned_at: datetime
    due_at: datetime | None
    outcome: str | None = None
    outcome_reason: str | None = None
    outcome_at: datetime | None = None
    ended_at: datetime | None = None
    first_touch_at: datetime | None = None
    first_touch_kind: str | None = None
    first_touch_by: str | None = None
    lead_id: str | None = None  # the cycle's HubSpot Lead, where the portal has Leads

    @property
    def awaits_answer(self) -> bool:
        """Return whether the handover waits for sales' answer: carried out, unanswered, not ended."""
        return self.status == "done" and self.outcome is None and self.ended_at is None


@dataclass(frozen=True, slots=True)
class CardFacts:
    """What the ledger holds of one contact for its card; handovers oldest first."""

    contact_id: str
    scores: CardScores
    nurture: CardNurture | None = None
    handovers: tuple[CardHandover, ...] = ()

    def open_handover(self) -> CardHandover | None:
        """Return the newest open handover of the contact's current cycle (an SQL's over its MQL's)."""
        current = [h for h in self.handovers if h.cycle == self.scores.cycle and h.awaits_answer]
        return current[-1] if current else None

    def last_answer(self) -> CardHandover | None:
        """Return the handover sales answered last, of any cycle."""
        answered = [h for h in self.handovers if h.outcome and h.outcome_at]
        return max(answered, key=lambda h: h.outcome_at or h.assigned_at) if answered else None


def card_state(facts: CardFacts) -> str:
    """Return the state the card shows the contact in (the module docstring lists them)."""
    if facts.open_handover() is not None:
        return "handed_over"
    answered = [h for h in facts.handovers if h.cycle == facts.scores.cycle and h.outcome]
    if answered:
        return answered[-1].outcome or "scored"
    if facts.scores.recycled_at is not None:
        return "recycled"
    if facts.nurture is not None and facts.nurture.state in NURTURING:
        return "nurtured"
    return "scored"


def card_document(
    facts: CardFacts,
    sla: CardSla | None,
    config: HandoverConfig | None,
    now: datetime,
    owner_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Return the card's JSON document (docs/contact-card.md, "The contract")."""
    state = card_state(facts)
    handover = facts.open_handover()
    return {
        "contact_id": facts.contact_id,
        "as_of": iso(now),
        "state": state,
        "scores": _scores(facts.scores),
        "nurture": _nurture(facts.nurture),
        "handover": _handover(handover, sla, owner_names or {}) if handover else None,
        "last_answer": _answer(facts.last_answer()),
        "answers": {"enabled": state == "handed_over", **answer_choices(config.feedback)} if config else None,
    }


def reason_list(reasons: str) -> list[str]:
    """Return the reasons text Leadflow writes (`+30 Decision maker · +4 Whitepaper`) as its items."""
    return [item.strip() for item in reasons.split(SEPARATOR) if item.strip()]


def iso(moment: datetime | None) -> str | None:
    """Return `moment` as ISO 8601 in UTC with a `Z`, or None."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if moment else None


def _scores(scores: CardScores) -> dict[str, Any]:
    return {
        "fit": scores.fit, "engagement": scores.engagement, "score": scores.score, "grade": scores.grade,
        "stage": scores.stage, "model": scores.model, "cycle": scores.cycle, "assessed_at": iso(scores.assessed_at),
        "reasons": scores.reasons, "reason_list": reason_list(scores.reasons),
    }  # fmt: skip


def _nurture(nurture: CardNurture | None) -> dict[str, Any] | None:
    if nurture is None:
        return None
    return {"state": nurture.state, "track": nurture.track, "step": nurture.step, "due_at": iso(nurture.due_at)}


def _handover(handover: CardHandover, sla: CardSla | None, names: Mapping[str, str]) -> dict[str, Any]:
    touch = None
    if handover.first_touch_at is not None:
        touch = {"at": iso(handover.first_touch_at), "kind": handover.first_touch_kind, "by": handover.first_touch_by}
    return {
        "key": handover.key, "stage": handover.stage, "cycle": handover.cycle, "owner_id": handover.owner_id,
        "owner_name": names.get(handover.owner_id or ""), "assigned_at": iso(handover.assigned_at),
        "task_due_at": iso(handover.due_at), "sla": _sla(sla), "first_touch": touch, "lead_id": handover.lead_id,
    }  # fmt: skip


def _sla(sla: CardSla | None) -> dict[str, Any] | None:
    if sla is None:
        return None
    minutes = round(sla.business_minutes) if sla.business_minutes is not None else None
    return {"target": sla.target, "status": sla.status, "due_at": iso(sla.due_at), "business_minutes": minutes}


def _answer(handover: CardHandover | None) -> dict[str, Any] | None:
    if handover is None:
        return None
    return {"outcome": handover.outcome, "reason": handover.outcome_reason, "at": iso(handover.outcome_at),
            "stage": handover.stage, "cycle": handover.cycle}  # fmt: skip
