"""What the scoring step keeps for KPIs and calibration: each change of stage with the assessment that caused it,
and one compact row per score change Leadflow wrote to HubSpot, both with why the contact was assessed and when
the buyer acted.

**When the buyer acted** (`signal_at`) is the `occurred_at` of the newest of the contact's own signals that the
drain reflects (unprocessed, up to its watermark); None when none waited.

**Causes**, what made the drain assess the contact, the first that applies:

- `recycle`: sales rejected the handover, and the lead began its next qualification cycle in this drain;
- `signal`: signals of the contact's own waited (a form, a click, a property change, its creation …);
- `decay`: no signal of its own waited, and the moment its last assessment stopped being true by time alone
  (`next_change_at`: decay, an event window closing) has passed — what the decay sweep marks contacts for;
- `rescore`: a page of `leadflow rescore --all`, with no signal of the contact's own waiting;
- `none`: none of these. A company change, a meeting or call resolved to the contact, a recheck of an unanswered
  write or a re-score by id all look alike to the drain, which cannot tell them apart.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from app.ledger.records import ScoreChangeRecord, TransitionRecord
from app.rules.scoring.assessment import render_reasons
from app.sync.pipeline import Batch, Member

CAUSES = ("recycle", "signal", "decay", "rescore", "none")


def cause_of(member: Member, batch: Batch) -> str:
    """Return what made this drain assess the contact (see the module's docstring)."""
    if member.state is not None and member.cycle != member.state.qualification_cycle:
        return "recycle"
    if batch.acted_at(member.contact_id) is not None:
        return "signal"
    due = member.state.next_change_at if member.state is not None else None
    if due is not None and due <= batch.now:
        return "decay"
    return "rescore" if batch.occasion == "rescore" else "none"


def transition(member: Member, batch: Batch) -> TransitionRecord:
    """Return the contact's change of stage in this drain, with the assessment that caused it."""
    assessment = member.assessed()
    return TransitionRecord(
        member.contact_id,
        member.previous_stage,
        assessment.stage,
        batch.now,
        member.cycle,
        assessment.model,
        **_why(member, batch),
    )


def score_changes(batch: Batch, scored: Collection[str]) -> list[ScoreChangeRecord]:
    """Return the score changes of the contacts in `scored` (those whose score properties HubSpot took)."""
    return [_score_change(member, batch) for member in batch.members.values() if member.contact_id in scored]


def _score_change(member: Member, batch: Batch) -> ScoreChangeRecord:
    assessment = member.assessed()
    return ScoreChangeRecord(
        contact_id=member.contact_id,
        at=batch.now,
        stage=assessment.stage,
        reasons=render_reasons(assessment.reasons),
        model=assessment.model,
        cycle=member.cycle,
        **_why(member, batch),
    )


def _why(member: Member, batch: Batch) -> dict[str, Any]:
    """What a transition and a score change both keep: the scores, the cause, when the buyer acted."""
    assessment = member.assessed()
    return {
        "fit": assessment.fit,
        "engagement": assessment.engagement,
        "score": assessment.score,
        "grade": assessment.grade,
        "cause": cause_of(member, batch),
        "signal_at": batch.acted_at(member.contact_id),
    }
