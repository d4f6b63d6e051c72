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

from app.ledger.records import ScoreChangeRecord, TransitionRecord
from app.rules.scoring.assessment import render_reasons
from app.rules.scoring.writes import SCORE_PROPERTIES
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
        fit=assessment.fit,
        engagement=assessment.engagement,
        score=assessment.score,
        grade=assessment.grade,
        cause=cause_of(member, batch),
        signal_at=batch.acted_at(member.contact_id),
    )


def score_changes(batch: Batch) -> list[ScoreChangeRecord]:
    """Return the score changes HubSpot took in this drain (contacts whose score properties were written)."""
    written = set(batch.written())
    return [
        _score_change(member, batch)
        for member in batch.members.values()
        if member.contact_id in written and _scores_written(batch, member.contact_id)
    ]


def _scores_written(batch: Batch, contact_id: str) -> bool:
    return any(name in SCORE_PROPERTIES for name in batch.writes.get(contact_id, {}))


def _score_change(member: Member, batch: Batch) -> ScoreChangeRecord:
    assessment = member.assessed()
    return ScoreChangeRecord(
        contact_id=member.contact_id,
        at=batch.now,
        fit=assessment.fit,
        engagement=assessment.engagement,
        score=assessment.score,
        grade=assessment.grade,
        stage=assessment.stage,
        reasons=render_reasons(assessment.reasons),
        model=assessment.model,
        cycle=member.cycle,
        cause=cause_of(member, batch),
        signal_at=batch.acted_at(member.contact_id),
    )
