"""`leadflow history`'s report: the timeline oldest first, same-moment entries in a fixed order, old rows readable."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from app.history_report import history_json, history_lines, timeline
from app.ledger.records import ContactHistory, HandoverRecord, ScoreChangeRecord, TransitionRecord

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ACTED = NOW - timedelta(minutes=2)
REASONS = "+30 Decision maker · +10 Demo request (1×)"


def handover(at: datetime) -> HandoverRecord:
    return HandoverRecord(
        "101-mql-1", "101", "mql", 1, "done", "o1", "round-robin:dach", "DACH pool, slot 3", "77", None, at,
        at + timedelta(days=1), at, None, None, "rejected", "bad timing", at + timedelta(hours=3), None, None, None, 0,
    )  # fmt: skip


def contact_history() -> ContactHistory:
    changes = (
        ScoreChangeRecord("101", NOW - timedelta(days=1), 90, 0, 90, "A4", None, "+30 Decision maker", "m1", 1,
                          "signal", NOW - timedelta(days=1)),
        ScoreChangeRecord("101", NOW, 90, 15, 105, "A3", "mql", REASONS, "m1", 1, "signal", ACTED),
    )  # fmt: skip
    transitions = (
        TransitionRecord("101", None, "mql", NOW, 1, "m1", 90, 15, 105, "A3", "signal", ACTED),
        TransitionRecord("101", "mql", None, NOW - timedelta(days=30), 1, "m0"),  # recorded before migration 0006
    )
    return ContactHistory("101", None, changes, transitions, (handover(NOW),))


def test_the_timeline_is_oldest_first_with_score_stage_and_handover_of_one_moment_in_that_order() -> None:
    entries = [(entry["at"], entry["kind"]) for entry in timeline(contact_history())]
    assert entries == [
        ("2026-10-27T12:00:00Z", "stage"),
        ("2026-11-25T12:00:00Z", "score"),
        ("2026-11-26T12:00:00Z", "score"),
        ("2026-11-26T12:00:00Z", "stage"),
        ("2026-11-26T12:00:00Z", "handover"),
    ]


def test_the_lines_show_scores_reasons_cause_trigger_time_and_the_handovers_answer() -> None:
    lines = history_lines(contact_history())
    assert lines[0] == "contact 101: no current state (only its history remains)"
    assert "cause not recorded" in lines[1] and "mql → -" in lines[1]
    assert lines[4:7] == [
        "2026-11-26 12:00:00Z  score     fit 90 · engagement 15 · score 105 · grade A3 · stage mql · cycle 1"
        " · cause signal (buyer acted 2026-11-26 11:58:00Z)",
        f"{' ' * 32}{REASONS} [m1]",
        "2026-11-26 12:00:00Z  stage     - → mql · cycle 1 · cause signal (buyer acted 2026-11-26 11:58:00Z)"
        " · at fit 90 · engagement 15 · score 105 · grade A3",
    ]
    answer = "owner o1 · task 77 · due 2026-11-27 12:00:00Z · rejected (bad timing) 2026-11-26 15:00:00Z"
    assert lines[7].endswith(answer) and lines[8].endswith("DACH pool, slot 3")
    assert lines[-1] == "2 score change(s), 2 stage change(s), 1 handover(s)"


def test_the_json_holds_every_recorded_field_with_utc_times() -> None:
    document = json.loads(history_json(contact_history()))
    assert document["contact"] == "101" and document["state"] is None
    stage = document["timeline"][3]
    assert stage == {
        "at": "2026-11-26T12:00:00Z", "kind": "stage", "from": None, "to": "mql", "cycle": 1, "cause": "signal",
        "signal_at": "2026-11-26T11:58:00Z", "fit": 90, "engagement": 15, "score": 105, "grade": "A3", "model": "m1",
    }  # fmt: skip
    assert document["timeline"][2]["reasons"] == REASONS
    assert document["timeline"][4]["outcome_reason"] == "bad timing"
