"""Closing what an ended handover created (pure): tasks completed with a note once, deals closed lost with the
reason where the pipeline has a lost stage, and the feedback flag of a rejection without a listed reason."""

from __future__ import annotations

import pytest

from app.rules import ConfigError, parse_handover
from app.rules.handover.closing import close_deal, close_task, closing_note, feedback_flag, late_reason, reason_text
from app.rules.handover.config import ClosingRules, FeedbackRules, HandoverConfig
from app.rules.handover.plan import classify_feedback
from app.rules.handover.types import Feedback

FILE = "config/handover.yaml"
BASE = """\
stages: []
feedback:
  accepted: [CONNECTED]
  rejected: {UNQUALIFIED: not qualified, BAD_TIMING: bad timing}
"""
WITH_REASONS = BASE + "  reasons: {no_budget: No budget, 42: Other}\n"


def config(text: str = BASE) -> HandoverConfig:
    return parse_handover(text, ("sql", "mql"), FILE)


@pytest.mark.parametrize(
    ("reason", "detail", "note"),
    [
        ("rejected", "not qualified", "Closed by Leadflow: sales rejected the lead (not qualified)."),
        ("rejected", None, "Closed by Leadflow: sales rejected the lead."),
        (
            "superseded",
            "SQL",
            "Closed by Leadflow: superseded by the SQL handover of this lead, which has its own task.",
        ),
        ("won", None, "Closed by Leadflow: the deal was won."),
        ("lost", None, "Closed by Leadflow: the deal was lost."),
        ("deleted", None, "Closed by Leadflow: the contact was deleted in HubSpot."),
        ("merged", None, "Closed by Leadflow: the contact was merged into another contact, whose handover goes on."),
        ("data-arrived", None, "Closed by Leadflow: the missing data arrived."),
        ("data-moot", None, "Closed by Leadflow: the lead no longer waits for this handover."),
        ("something", None, "Closed by Leadflow: the handover ended (something)."),
    ],
)
def test_the_note_says_why_leadflow_closed_the_task(reason: str, detail: str | None, note: str) -> None:
    assert closing_note(reason, detail) == note


def test_an_open_task_is_completed_with_the_note_after_its_body() -> None:
    writes = close_task({"hs_task_status": "NOT_STARTED", "hs_task_body": "Call her."}, "Closed by Leadflow: x.")
    assert writes == {"hs_task_status": "COMPLETED", "hs_task_body": "Call her.\n\nClosed by Leadflow: x."}


def test_a_task_without_body_or_status_gets_the_note_as_its_body() -> None:
    assert close_task({}, "N.") == {"hs_task_status": "COMPLETED", "hs_task_body": "N."}


def test_a_completed_task_is_left_alone_and_a_note_is_never_added_twice() -> None:
    assert close_task({"hs_task_status": "COMPLETED", "hs_task_body": "done"}, "N.") is None
    assert close_task({"hs_task_status": "WAITING", "hs_task_body": "b\n\nN."}, "N.") == {
        "hs_task_status": "COMPLETED",
        "hs_task_body": "b\n\nN.",
    }


def test_a_rejected_deal_goes_to_its_pipelines_lost_stage_with_the_reason() -> None:
    rules = ClosingRules({"default": "closedlost", "77": "lost-77"}, "closed_lost_reason")
    deal = {"pipeline": "default", "dealstage": "appointmentscheduled", "hs_is_closed": "false"}
    assert close_deal(rules, deal, "No budget") == {"dealstage": "closedlost", "closed_lost_reason": "No budget"}
    assert close_deal(rules, {"pipeline": "77", "dealstage": "s1"}, None) == {"dealstage": "lost-77"}


@pytest.mark.parametrize(
    "deal",
    [
        {"pipeline": "default", "dealstage": "closedwon", "hs_is_closed": "true"},
        {"pipeline": "default", "dealstage": "closedlost"},
        {"pipeline": "99", "dealstage": "s1"},  # a pipeline without a configured lost stage: left open
    ],
)
def test_a_closed_deal_or_one_of_an_unnamed_pipeline_is_left_as_it_is(deal: dict[str, str]) -> None:
    assert close_deal(ClosingRules({"default": "closedlost"}, "closed_lost_reason"), deal, "x") is None


def test_the_reason_property_can_be_left_out() -> None:
    rules = ClosingRules({"default": "closedlost"}, None)
    assert close_deal(rules, {"dealstage": "s1"}, "x") == {"dealstage": "closedlost"}


def test_closing_is_configured_per_pipeline_and_defaults_to_hubspots_default_pipeline() -> None:
    assert config().closing == ClosingRules({"default": "closedlost"}, "closed_lost_reason")
    custom = config(BASE + "closing: {lost_stages: {4711: '4712'}, lost_reason_property: ~}\n")
    assert custom.closing == ClosingRules({"4711": "4712"}, None)
    assert config(BASE + "closing: {lost_stages: {}}\n").closing.lost_stages == {}


def test_without_reasons_the_rejected_lead_status_is_the_reason() -> None:
    assert classify_feedback(config(), "UNQUALIFIED", None) == Feedback("rejected", "not qualified")
    assert classify_feedback(config(), "BAD_TIMING", "anything") == Feedback("rejected", "bad timing")


@pytest.mark.parametrize(
    ("picked", "feedback"),
    [
        ("no_budget", Feedback("rejected", "no_budget")),
        (" 42 ", Feedback("rejected", "42")),
        (None, Feedback("rejected", "not qualified", "missing")),
        ("", Feedback("rejected", "not qualified", "missing")),
        ("too_expensive", Feedback("rejected", "not qualified", "unknown")),
    ],
)
def test_with_reasons_a_rejection_needs_one_from_the_list(picked: str | None, feedback: Feedback) -> None:
    assert classify_feedback(config(WITH_REASONS), "UNQUALIFIED", picked) == feedback


def test_an_acceptance_needs_no_reason() -> None:
    assert classify_feedback(config(WITH_REASONS), "CONNECTED", None) == Feedback("accepted")


def test_reasons_without_rejected_lead_statuses_are_an_error() -> None:
    with pytest.raises(ConfigError) as caught:
        config("stages: []\nfeedback: {reasons: {no_budget: No budget}}\n")
    assert str(caught.value) == "config/handover.yaml: feedback: 'reasons' need rejected lead statuses ('rejected')"


def test_the_flag_says_what_the_rejection_lacks() -> None:
    missing = feedback_flag(Feedback("rejected", "x", "missing"), "SQL", None)
    assert missing == {"leadflow_feedback_missing": "SQL: rejected without a reason (pick one in 'Reject reason')"}
    unknown = feedback_flag(Feedback("rejected", "x", "unknown"), "SQL", "foo")
    assert unknown == {"leadflow_feedback_missing": "SQL: rejected with 'foo', not one of the configured reasons"}
    assert feedback_flag(Feedback("rejected", "no_budget"), "SQL", "no_budget") == {}


def test_a_reason_given_later_counts_only_when_flagged_and_listed() -> None:
    rules = FeedbackRules(frozenset(), {"UNQUALIFIED": "u"}, {"no_budget": "No budget"})
    flagged = {"leadflow_feedback_missing": "SQL: rejected without a reason"}
    assert late_reason(rules, flagged, "no_budget") == "no_budget"
    assert late_reason(rules, flagged, "nope") is None
    assert late_reason(rules, {}, "no_budget") is None


def test_a_reason_reads_as_its_label() -> None:
    rules = FeedbackRules(reasons={"no_budget": "No budget"})
    assert (reason_text(rules, "no_budget"), reason_text(rules, "bad timing"), reason_text(rules, None)) == (
        "No budget",
        "bad timing",
        None,
    )
