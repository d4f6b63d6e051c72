"""Closing what an ended handover created in HubSpot, and flagging a rejection without a valid reason (pure).

HubSpot tasks have no "cancelled" status (NOT_STARTED, IN_PROGRESS, WAITING, DEFERRED, COMPLETED): an ended
handover's task is completed, with a note at the end of its body saying why. A task sales completed already is
left alone, and a note already there is not added twice, so closing again changes nothing. A rejected handover's
deal moves to the closed-lost stage of its pipeline with the rejection reason (see docs/handover.md).
"""

from __future__ import annotations

from collections.abc import Mapping

from app.rules.handover.config import ClosingRules, FeedbackRules
from app.rules.handover.types import Feedback, RawProperties
from app.rules.properties import FEEDBACK_MISSING

TASK_STATUS = "hs_task_status"
TASK_BODY = "hs_task_body"
COMPLETED = "COMPLETED"
DEAL_STAGE = "dealstage"
PIPELINE = "pipeline"
DEAL_CLOSED = "hs_is_closed"  # HubSpot's calculated flag: the deal is in a closed (won or lost) stage
TASK_READS = (TASK_STATUS, TASK_BODY)
DEAL_READS = (DEAL_STAGE, PIPELINE, DEAL_CLOSED)
NOTE_PREFIX = "Closed by Leadflow:"

_WHY = {
    "rejected": "sales rejected the lead{detail}.",
    "superseded": "superseded by the {detail} handover of this lead, which has its own task.",
    "won": "the deal was won.",
    "lost": "the deal was lost.",
    "deleted": "the contact was deleted in HubSpot.",
    "merged": "the contact was merged into another contact, whose handover goes on.",
    "data-arrived": "the missing data arrived.",
    "data-moot": "the lead no longer waits for this handover.",
}


def closing_note(reason: str, detail: str | None = None) -> str:
    """Return the note closing a task: why Leadflow closed it (`reason`: an end reason or `data-arrived`)."""
    template = _WHY.get(reason, "the handover ended ({reason}).")
    if reason == "rejected":
        detail = f" ({detail})" if detail else ""
    elif reason == "superseded":
        detail = detail or "next"
    return f"{NOTE_PREFIX} {template.format(detail=detail or '', reason=reason)}"


def close_task(task: RawProperties, note: str) -> dict[str, str] | None:
    """Return the writes that complete a task with `note`, or None when it is completed already."""
    if (task.get(TASK_STATUS) or "") == COMPLETED:
        return None
    body = task.get(TASK_BODY) or ""
    if note not in body:
        body = f"{body}\n\n{note}" if body else note
    return {TASK_STATUS: COMPLETED, TASK_BODY: body}


def close_deal(rules: ClosingRules, deal: RawProperties, reason: str | None) -> dict[str, str] | None:
    """Return the writes that close a rejected handover's deal as lost, or None: already closed, or its pipeline
    has no configured closed-lost stage (the deal is left open)."""
    lost_stage = rules.lost_stages.get(deal.get(PIPELINE) or "default")
    if lost_stage is None or (deal.get(DEAL_CLOSED) or "") == "true" or deal.get(DEAL_STAGE) == lost_stage:
        return None
    writes = {DEAL_STAGE: lost_stage}
    if rules.lost_reason_property and reason:
        writes[rules.lost_reason_property] = reason
    return writes


def reason_text(feedback: FeedbackRules, reason: str | None) -> str | None:
    """Return a rejection reason as sales reads it: the label of a configured reason, else the reason itself."""
    return feedback.reasons.get(reason, reason) if reason else None


def feedback_flag(feedback: Feedback, stage_label: str, picked: str | None) -> dict[str, str]:
    """Return the contact write flagging a rejection without a reason from the list (none when it has one)."""
    if feedback.issue == "missing":
        return {FEEDBACK_MISSING: f"{stage_label}: rejected without a reason (pick one in 'Reject reason')"}
    if feedback.issue == "unknown":
        return {FEEDBACK_MISSING: f"{stage_label}: rejected with {picked!r}, not one of the configured reasons"}
    return {}


def late_reason(rules: FeedbackRules, contact: Mapping[str, str | None], picked: str | None) -> str | None:
    """Return the reason sales picked after a flagged rejection, when it is one of the list (else None)."""
    value = (picked or "").strip()
    return value if contact.get(FEEDBACK_MISSING) and value in rules.reasons else None
