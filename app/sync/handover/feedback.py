"""The quality of sales' feedback: a rejection without a reason from the configured list is flagged on the contact,
in the ledger (for the KPIs) and to the owner; a reason picked later is recorded and the flag cleared."""

from __future__ import annotations

from app.ledger.records import HandoverRecord
from app.ledger.store import Ledger
from app.rules.handover.closing import feedback_flag, late_reason
from app.rules.handover.config import HandoverConfig
from app.rules.handover.notification import feedback_notification
from app.rules.handover.types import Feedback
from app.rules.properties import FEEDBACK_MISSING, REJECT_REASON
from app.sync.handover.needs import Handovers
from app.sync.pipeline import Batch, Member


def flag_rejection(
    handovers: Handovers,
    ledger: Ledger,
    batch: Batch,
    member: Member,
    handover: HandoverRecord,
    feedback: Feedback,
    picked: str | None,
) -> None:
    """Flag a rejection without a reason from the list: on the contact, in the ledger, and to the owner."""
    assert feedback.issue is not None
    flag = feedback_flag(feedback, handovers.config.label(handover.stage), picked)
    ledger.handovers.record_feedback_issue(handover.key, feedback.issue)
    batch.write(member.contact_id, flag)
    owner = next((o for o in handovers.team().values() if o.id == handover.owner_id), None)
    url = handovers.contact_url(member.contact_id)
    handovers.notifier.notify(
        feedback_notification(member.contact_id, member.contact, flag[FEEDBACK_MISSING], owner, url)
    )
    batch.count("feedback_flagged")


def take_late_reason(
    config: HandoverConfig, ledger: Ledger, batch: Batch, member: Member, records: list[HandoverRecord]
) -> None:
    """Record a reason sales picked after a flagged rejection, and clear the flag."""
    reason = late_reason(config.feedback, member.contact, member.contact.get(REJECT_REASON))
    flagged = [h for h in records if h.feedback_issue in ("missing", "unknown")]
    if reason is None or not flagged:
        return
    ledger.handovers.record_late_reason(flagged[-1].key, reason)
    batch.write(member.contact_id, {FEEDBACK_MISSING: ""})
