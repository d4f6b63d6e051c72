"""What `leadflow history CONTACT_ID` prints: a contact's score and stage timeline with the reasons, oldest first,
as readable lines or as one JSON object.

Entries: `score` (a score change Leadflow wrote to HubSpot), `stage` (a change of stage, with the assessment that
caused it) and `handover` (owner, task, deal and sales' answer). Each stage and score entry says why the contact
was assessed (`cause`: recycle, signal, decay, rescore, none; app/sync/scoring/history.py) and when the buyer acted
(`signal_at`, null when no signal of the contact's own waited). Entries of the same moment come in that order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from app.ledger.records import ContactHistory, ContactStateRecord, HandoverRecord, ScoreChangeRecord, TransitionRecord

KINDS = ("score", "stage", "handover")
Entry = dict[str, Any]


def history_json(history: ContactHistory) -> str:
    """Return the contact's state and timeline as one JSON object."""
    document = {"contact": history.contact_id, "state": _state(history.state), "timeline": timeline(history)}
    return json.dumps(document, ensure_ascii=False, indent=2)


def history_lines(history: ContactHistory) -> list[str]:
    """Return the contact's state and timeline as readable lines."""
    lines = [_state_line(history.contact_id, history.state)]
    for entry in timeline(history):
        lines.extend(LINES[entry["kind"]](entry))
    changes, transitions, handovers = len(history.score_changes), len(history.transitions), len(history.handovers)
    lines.append(f"{changes} score change(s), {transitions} stage change(s), {handovers} handover(s)")
    return lines


def timeline(history: ContactHistory) -> list[Entry]:
    """Return the entries of the contact's timeline, oldest first, ready for JSON."""
    dated = [
        *((change.at, _score(change)) for change in history.score_changes),
        *((transition.at, _stage(transition)) for transition in history.transitions),
        *((handover.assigned_at, _handover(handover)) for handover in history.handovers),
    ]
    dated.sort(key=lambda item: (item[0], KINDS.index(item[1]["kind"])))
    return [entry for _at, entry in dated]


def _score(change: ScoreChangeRecord) -> Entry:
    return {
        "at": iso(change.at), "kind": "score", "fit": change.fit, "engagement": change.engagement,
        "score": change.score, "grade": change.grade, "stage": change.stage, "model": change.model,
        "cycle": change.cycle, "cause": change.cause, "signal_at": iso(change.signal_at), "reasons": change.reasons,
    }  # fmt: skip


def _stage(transition: TransitionRecord) -> Entry:
    return {
        "at": iso(transition.at), "kind": "stage", "from": transition.from_stage, "to": transition.to_stage,
        "cycle": transition.cycle, "cause": transition.cause, "signal_at": iso(transition.signal_at),
        "fit": transition.fit, "engagement": transition.engagement, "score": transition.score,
        "grade": transition.grade, "model": transition.model,
    }  # fmt: skip


def _handover(handover: HandoverRecord) -> Entry:
    return {
        "at": iso(handover.assigned_at), "kind": "handover", "stage": handover.stage, "cycle": handover.cycle,
        "status": handover.status, "owner": handover.owner_id, "routing_reason": handover.routing_reason,
        "task": handover.task_id, "deal": handover.deal_id, "due_at": iso(handover.due_at),
        "outcome": handover.outcome, "outcome_reason": handover.outcome_reason, "outcome_at": iso(handover.outcome_at),
        "deal_outcome": handover.deal_outcome, "deal_outcome_at": iso(handover.deal_outcome_at),
    }  # fmt: skip


def _state(state: ContactStateRecord | None) -> Entry | None:
    if state is None:
        return None
    return {
        "fit": state.fit, "engagement": state.engagement, "score": state.score, "grade": state.grade,
        "stage": state.stage, "model": state.model, "cycle": state.qualification_cycle, "reasons": state.reasons,
        "assessed_at": iso(state.assessed_at), "changed_at": iso(state.changed_at),
        "deleted_at": iso(state.deleted_at), "last_error": state.last_error,
    }  # fmt: skip


def _state_line(contact_id: str, state: ContactStateRecord | None) -> str:
    if state is None:
        return f"contact {contact_id}: no current state (only its history remains)"
    now = _scores(state.fit, state.engagement, state.score, state.grade)
    line = f"contact {contact_id} now: {now} · stage {state.stage or '-'} · cycle {state.qualification_cycle}"
    line += f" · model {state.model} · changed {_when(iso(state.changed_at))}"
    return line + (f" · deleted in HubSpot {_when(iso(state.deleted_at))}" if state.deleted_at else "")


def _score_lines(entry: Mapping[str, Any]) -> list[str]:
    scores = _scores(entry["fit"], entry["engagement"], entry["score"], entry["grade"])
    head = f"{_when(entry['at'])}  score     {scores} · stage {entry['stage'] or '-'} · cycle {entry['cycle']}"
    return [f"{head} · {_why(entry)}", f"{INDENT}{entry['reasons'] or '(no reasons)'} [{entry['model']}]"]


def _stage_lines(entry: Mapping[str, Any]) -> list[str]:
    move = f"{entry['from'] or '-'} → {entry['to'] or '-'}"
    line = f"{_when(entry['at'])}  stage     {move} · cycle {entry['cycle']} · {_why(entry)}"
    if entry["score"] is not None:
        line += f" · at {_scores(entry['fit'], entry['engagement'], entry['score'], entry['grade'])}"
    return [line]


def _handover_lines(entry: Mapping[str, Any]) -> list[str]:
    parts = [f"{entry['stage']} · cycle {entry['cycle']} · {entry['status']} · owner {entry['owner'] or '-'}"]
    parts += [f"{name} {entry[name]}" for name in ("task", "deal") if entry[name]]
    if entry["due_at"]:
        parts.append(f"due {_when(entry['due_at'])}")
    if entry["outcome"]:
        reason = f" ({entry['outcome_reason']})" if entry["outcome_reason"] else ""
        parts.append(f"{entry['outcome']}{reason} {_when(entry['outcome_at'])}")
    if entry["deal_outcome"]:
        parts.append(f"deal {entry['deal_outcome']} {_when(entry['deal_outcome_at'])}")
    return [f"{_when(entry['at'])}  handover  {' · '.join(parts)}", f"{INDENT}{entry['routing_reason']}"]


LINES = {"score": _score_lines, "stage": _stage_lines, "handover": _handover_lines}
INDENT = " " * 32


def _scores(fit: int | None, engagement: int | None, score: int | None, grade: str | None) -> str:
    return f"fit {fit} · engagement {engagement} · score {score} · grade {grade}"


def _why(entry: Mapping[str, Any]) -> str:
    cause = entry["cause"] or "not recorded"
    return f"cause {cause}" + (f" (buyer acted {_when(entry['signal_at'])})" if entry["signal_at"] else "")


def _when(stamp: str | None) -> str:
    return stamp.replace("T", " ") if stamp else "-"


def iso(moment: datetime | None) -> str | None:
    """Return `moment` as ISO 8601 in UTC with a `Z`, or None."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if moment else None
