"""Sales' answer given on the contact card, planned as the contact writes an answer given in HubSpot would be.

The card's answer is never recorded directly: it becomes the lead status (and, with `feedback.reasons`, the reject
reason) on the contact, which the next drain reads and records exactly as if sales had set them in HubSpot. The
plan is checked against `classify_feedback`, the drain's own reading of those values.
"""

from __future__ import annotations

from typing import Any

from app.rules.handover.config import FeedbackRules, HandoverConfig
from app.rules.handover.plan import LEAD_STATUS, classify_feedback
from app.rules.properties import REJECT_REASON

ANSWERS = ("accepted", "rejected")


class AnswerRefused(ValueError):
    """An answer the card may not give; `code` names why (`answer-unknown`, `reason-missing`, `reason-unknown`,
    `reason-not-taken`, `answer-not-configured`, `handover-not-configured`, `no-open-handover`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def plan_answer(config: HandoverConfig | None, answer: str, reason: str | None) -> dict[str, str]:
    """Return the contact writes that give `answer` (with `reason` for a rejection) as HubSpot would carry it."""
    if config is None:
        raise AnswerRefused("handover-not-configured", "Leadflow hands over no leads here (no handover.yaml)")
    if answer not in ANSWERS:
        raise AnswerRefused("answer-unknown", f"answer {answer!r} is not one of {', '.join(ANSWERS)}")
    reason = (reason or "").strip() or None
    writes = _accept(config.feedback, reason) if answer == "accepted" else _reject(config.feedback, reason)
    feedback = classify_feedback(config, writes[LEAD_STATUS], writes.get(REJECT_REASON))
    assert feedback is not None and feedback.outcome == answer and feedback.issue is None, (writes, feedback)
    return writes


def answer_choices(feedback: FeedbackRules) -> dict[str, Any]:
    """Return what the card offers: whether it may accept, and the rejection reasons to pick from (value, label)."""
    return {
        "accept": bool(feedback.accepted),
        "reject": bool(feedback.rejected),
        "reject_reasons": [{"value": value, "label": label} for value, label in _reasons(feedback).items()],
    }


def _accept(feedback: FeedbackRules, reason: str | None) -> dict[str, str]:
    if reason is not None:
        raise AnswerRefused("reason-not-taken", "an acceptance takes no reason")
    if not feedback.accepted:
        raise AnswerRefused("answer-not-configured", "handover.yaml lists no accepted lead status")
    return {LEAD_STATUS: min(feedback.accepted)}  # any accepted status records the same answer: take a fixed one


def _reject(feedback: FeedbackRules, reason: str | None) -> dict[str, str]:
    if not feedback.rejected:
        raise AnswerRefused("answer-not-configured", "handover.yaml lists no rejected lead status")
    reasons = _reasons(feedback)
    if reason is None:
        raise AnswerRefused("reason-missing", f"a rejection needs a reason: one of {', '.join(reasons)}")
    if reason not in reasons:
        raise AnswerRefused("reason-unknown", f"reason {reason!r} is not one of {', '.join(reasons)}")
    if feedback.reasons:  # the reason goes into leadflow_reject_reason, with the first rejected lead status
        return {LEAD_STATUS: next(iter(feedback.rejected)), REJECT_REASON: reason}
    return {LEAD_STATUS: reason}  # without a list of reasons, the rejected lead status is the reason


def _reasons(feedback: FeedbackRules) -> dict[str, str]:
    """Return the reasons a rejection may give: `feedback.reasons`, else the rejected lead statuses."""
    if feedback.reasons:
        return dict(feedback.reasons)
    return {status: label or status for status, label in feedback.rejected.items()}
