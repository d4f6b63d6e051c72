"""The contact card's pure rules: the state it shows, its JSON document, and sales' answer planned as HubSpot
writes it (checked against the drain's own reading of the lead status, `classify_feedback`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.rules import load_configuration
from app.rules.card import (
    AnswerRefused,
    CardFacts,
    CardHandover,
    CardNurture,
    CardScores,
    CardSla,
    answer_choices,
    card_document,
    card_state,
    plan_answer,
)
from app.rules.card.view import reason_list
from app.rules.handover.config import FeedbackRules, HandoverConfig
from app.rules.handover.plan import classify_feedback
from app.rules.handover.types import Feedback

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
REASONS = {"no_budget": "No budget", "no_need": "No need"}


@pytest.fixture(scope="module")
def shipped() -> HandoverConfig:
    config = load_configuration(ROOT / "config").handover
    assert config is not None
    return config


@pytest.fixture(scope="module")
def with_reasons(shipped: HandoverConfig) -> HandoverConfig:
    return replace(shipped, feedback=replace(shipped.feedback, reasons=REASONS))


def scores(cycle: int = 1, recycled_at: datetime | None = None) -> CardScores:
    return CardScores(90, 15, 105, "A2", "mql", "+30 Decision maker · +10 Request a demo (1×)", "v3", cycle,
                      NOW - timedelta(hours=2), recycled_at)  # fmt: skip


def handover(cycle: int = 1, stage: str = "mql", **fields: object) -> CardHandover:
    values: dict[str, object] = {
        "key": f"7-{stage}-{cycle}", "stage": stage, "cycle": cycle, "status": "done", "owner_id": "501",
        "assigned_at": NOW - timedelta(hours=1), "due_at": NOW + timedelta(hours=23),
    }  # fmt: skip
    values.update(fields)
    return CardHandover(**values)  # type: ignore[arg-type]


def test_a_scored_contact_with_nothing_else_is_scored() -> None:
    assert card_state(CardFacts("7", scores())) == "scored"


def test_a_contact_a_nurture_track_holds_is_nurtured_and_one_it_finished_is_scored() -> None:
    waiting = CardNurture("waiting", "education", "case-study", NOW + timedelta(days=2))
    assert card_state(CardFacts("7", scores(), waiting)) == "nurtured"
    assert card_state(CardFacts("7", scores(), replace(waiting, state="exhausted", step=None))) == "scored"


def test_an_open_handover_of_the_current_cycle_is_handed_over_whatever_nurture_says() -> None:
    facts = CardFacts("7", scores(), CardNurture("paused", "education", None, None), (handover(),))
    assert card_state(facts) == "handed_over"
    assert facts.open_handover() == handover()


def test_the_sqls_handover_is_shown_over_the_mqls_of_the_same_cycle() -> None:
    mql, sql = handover(), handover(stage="sql", assigned_at=NOW - timedelta(minutes=5))
    assert CardFacts("7", scores(), None, (mql, sql)).open_handover() == sql


def test_a_handover_not_yet_carried_out_or_ended_waits_for_no_answer() -> None:
    for closed in (handover(status="planned"), handover(ended_at=NOW), handover(status="recycled")):
        assert CardFacts("7", scores(), None, (closed,)).open_handover() is None


def test_an_answered_handover_shows_the_answer() -> None:
    accepted = handover(outcome="accepted", outcome_at=NOW)
    assert card_state(CardFacts("7", scores(), None, (accepted,))) == "accepted"
    rejected = handover(outcome="rejected", outcome_reason="bad timing", outcome_at=NOW)
    assert card_state(CardFacts("7", scores(), None, (rejected,))) == "rejected"


def test_a_rejected_lead_back_in_a_new_cycle_is_recycled_with_the_rejection_as_its_last_answer() -> None:
    rejected = handover(status="recycled", outcome="rejected", outcome_reason="bad timing", outcome_at=NOW)
    facts = CardFacts("7", scores(cycle=2, recycled_at=NOW), None, (rejected,))
    assert card_state(facts) == "recycled"
    assert facts.last_answer() == rejected


def test_the_document_carries_scores_reasons_handover_sla_and_first_touch(shipped: HandoverConfig) -> None:
    touched = handover(first_touch_at=NOW - timedelta(minutes=30), first_touch_kind="call", first_touch_by="501")
    sla = CardSla("mql-24h", "met", NOW + timedelta(hours=23), 29.6)
    document = card_document(CardFacts("7", scores(), None, (touched,)), sla, shipped, NOW, {"501": "Dana Fischer"})
    assert document["state"] == "handed_over"
    assert document["as_of"] == "2026-12-03T10:00:00Z"
    assert document["scores"] == {
        "fit": 90, "engagement": 15, "score": 105, "grade": "A2", "stage": "mql", "model": "v3", "cycle": 1,
        "assessed_at": "2026-12-03T08:00:00Z", "reasons": "+30 Decision maker · +10 Request a demo (1×)",
        "reason_list": ["+30 Decision maker", "+10 Request a demo (1×)"],
    }  # fmt: skip
    assert document["handover"] == {
        "key": "7-mql-1", "stage": "mql", "cycle": 1, "owner_id": "501", "owner_name": "Dana Fischer",
        "assigned_at": "2026-12-03T09:00:00Z", "task_due_at": "2026-12-04T09:00:00Z",
        "sla": {"target": "mql-24h", "status": "met", "due_at": "2026-12-04T09:00:00Z", "business_minutes": 30},
        "first_touch": {"at": "2026-12-03T09:30:00Z", "kind": "call", "by": "501"}, "lead_id": None,
    }  # fmt: skip
    assert document["answers"] == {
        "enabled": True, "accept": True, "reject": True,
        "reject_reasons": [{"value": "UNQUALIFIED", "label": "not qualified"},
                           {"value": "BAD_TIMING", "label": "bad timing"}],
    }  # fmt: skip
    assert (document["nurture"], document["last_answer"]) == (None, None)


def test_without_handover_yaml_the_document_offers_no_answers() -> None:
    document = card_document(CardFacts("7", scores()), None, None, NOW)
    assert (document["state"], document["handover"], document["answers"]) == ("scored", None, None)


def test_answers_are_offered_but_not_enabled_when_no_handover_waits(with_reasons: HandoverConfig) -> None:
    document = card_document(CardFacts("7", scores()), None, with_reasons, NOW)
    assert document["answers"]["enabled"] is False
    assert document["answers"]["reject_reasons"] == [{"value": v, "label": label} for v, label in REASONS.items()]


def test_reason_list_splits_the_written_reasons_text_and_keeps_the_cut_mark() -> None:
    assert reason_list("+30 Decision maker · +4 Whitepaper · …") == ["+30 Decision maker", "+4 Whitepaper", "…"]
    assert reason_list("") == []


def test_an_acceptance_writes_an_accepted_lead_status(shipped: HandoverConfig) -> None:
    writes = plan_answer(shipped, "accepted", None)
    assert writes == {"hs_lead_status": "ATTEMPTED_TO_CONTACT"}
    assert classify_feedback(shipped, writes["hs_lead_status"]) == Feedback("accepted")


def test_without_reasons_a_rejection_writes_the_rejected_lead_status_it_names(shipped: HandoverConfig) -> None:
    writes = plan_answer(shipped, "rejected", "BAD_TIMING")
    assert writes == {"hs_lead_status": "BAD_TIMING"}
    assert classify_feedback(shipped, "BAD_TIMING") == Feedback("rejected", "bad timing")


def test_with_reasons_a_rejection_writes_the_reason_and_the_first_rejected_status(
    with_reasons: HandoverConfig,
) -> None:
    writes = plan_answer(with_reasons, "rejected", " no_need ")
    assert writes == {"hs_lead_status": "UNQUALIFIED", "leadflow_reject_reason": "no_need"}
    assert classify_feedback(with_reasons, "UNQUALIFIED", "no_need") == Feedback("rejected", "no_need")


@pytest.mark.parametrize(
    ("answer", "reason", "code"),
    [
        ("maybe", None, "answer-unknown"),
        ("ACCEPTED", None, "answer-unknown"),
        ("accepted", "great lead", "reason-not-taken"),
        ("rejected", None, "reason-missing"),
        ("rejected", "  ", "reason-missing"),
        ("rejected", "no_budget", "reason-unknown"),  # not a reason without feedback.reasons: a lead status is
        ("rejected", "bad timing", "reason-unknown"),  # the label is not the value
    ],
)
def test_an_answer_the_card_may_not_give_is_refused_with_its_code(
    shipped: HandoverConfig, answer: str, reason: str | None, code: str
) -> None:
    with pytest.raises(AnswerRefused) as refused:
        plan_answer(shipped, answer, reason)
    assert refused.value.code == code


def test_with_reasons_a_rejected_lead_status_is_not_a_reason(with_reasons: HandoverConfig) -> None:
    with pytest.raises(AnswerRefused, match="not one of no_budget, no_need") as refused:
        plan_answer(with_reasons, "rejected", "BAD_TIMING")
    assert refused.value.code == "reason-unknown"


def test_without_handover_yaml_or_the_answer_configured_nothing_is_planned(shipped: HandoverConfig) -> None:
    with pytest.raises(AnswerRefused) as refused:
        plan_answer(None, "accepted", None)
    assert refused.value.code == "handover-not-configured"
    silent = replace(shipped, feedback=FeedbackRules())
    for answer, reason in (("accepted", None), ("rejected", "BAD_TIMING")):
        with pytest.raises(AnswerRefused) as refused:
            plan_answer(silent, answer, reason)
        assert refused.value.code == "answer-not-configured"
    assert answer_choices(silent.feedback) == {"accept": False, "reject": False, "reject_reasons": []}
