"""The nurture planner on the shipped config/nurture.yaml: tracks, the natural next step, pause, recycle, suppression,
exhaustion, and a step never offered twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.rules.configuration import load_configuration
from app.rules.nurture import NurtureConfig, NurtureFacts, Offer, explain, next_nurture_step
from app.rules.scoring.engagement import EngagementEvent

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday, 11:00 in Berlin: outside the quiet hours
DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def nurture(config_dir: Path) -> NurtureConfig:
    config = load_configuration(config_dir).nurture
    assert config is not None
    return config


def event(kind: str, at: datetime) -> EngagementEvent:
    return EngagementEvent(kind, at)


def researcher(*events: EngagementEvent, history: tuple[Offer, ...] = (), **facts: object) -> NurtureFacts:
    """A contact who downloaded a whitepaper a day before NOW, not qualified yet."""
    return NurtureFacts(
        fit=45,
        engagement=5,
        grade="B4",
        engagements=(event("whitepaper_download", NOW - DAY), *events),
        history=history,
        **facts,  # type: ignore[arg-type]
    )


def test_a_whitepaper_download_gets_the_awareness_tracks_first_step_now(nurture: NurtureConfig) -> None:
    plan = next_nurture_step(nurture, researcher(), NOW)
    assert (plan.state, plan.track, plan.step, plan.at) == ("active", "awareness", "checklist", NOW)
    assert plan.why[0].startswith("track 'awareness' (priority 10): entered")


def test_a_contact_without_an_entry_has_no_step(nurture: NurtureConfig) -> None:
    plan = next_nurture_step(nurture, NurtureFacts(fit=45), NOW)
    assert (plan.state, plan.track, plan.step, plan.at) == ("none", None, None, None)
    assert plan.why[-1] == "no track: no entry condition holds"


def test_the_natural_next_step_follows_its_after_engagement(nurture: NurtureConfig) -> None:
    offered = (Offer("awareness", "checklist", NOW),)
    later = NOW + 6 * DAY
    waiting = next_nurture_step(nurture, researcher(history=offered), later)
    assert (waiting.state, waiting.track, waiting.step) == ("none", "awareness", None)
    assert "step 'webinar-invite': waits for checklist_download after 2026-12-07 10:00 UTC" in waiting.why
    download = event("checklist_download", NOW + 2 * DAY)
    plan = next_nurture_step(nurture, researcher(download, history=offered), later)
    assert (plan.state, plan.track, plan.step, plan.at) == ("active", "awareness", "webinar-invite", later)
    assert "step 'webinar-invite': after checklist_download on 2026-12-09 10:00 UTC" in plan.why


def test_an_engagement_before_the_previous_offer_does_not_make_the_next_step(nurture: NurtureConfig) -> None:
    early = event("checklist_download", NOW - DAY)
    plan = next_nurture_step(nurture, researcher(early, history=(Offer("awareness", "checklist", NOW),)), NOW + 6 * DAY)
    assert (plan.state, plan.step) == ("none", None)


def test_an_engagement_after_now_does_not_count(nurture: NurtureConfig) -> None:
    future = event("checklist_download", NOW + 9 * DAY)
    plan = next_nurture_step(
        nurture, researcher(future, history=(Offer("awareness", "checklist", NOW),)), NOW + 6 * DAY
    )
    assert plan.state == "none"


def test_a_step_whose_condition_fails_is_passed_over_for_the_next(nurture: NurtureConfig) -> None:
    pricing = event("pricing_page_view", NOW - DAY)
    offered = (Offer("decision", "roi-calculator", NOW),)
    low_fit = next_nurture_step(nurture, researcher(pricing, event("newsletter_click", NOW + DAY), history=offered),
                                NOW + 6 * DAY)  # fmt: skip
    assert (low_fit.state, low_fit.track) == ("none", "decision")
    assert "step 'customer-story': its condition does not hold (fit >= 60)" in low_fit.why


def test_the_highest_priority_track_wins(nurture: NurtureConfig) -> None:
    plan = next_nurture_step(nurture, researcher(event("pricing_page_view", NOW - DAY)), NOW)
    assert (plan.track, plan.step) == ("decision", "roi-calculator")


def test_a_contact_stays_in_a_track_it_holds_a_step_of_after_its_entry_lapses(nurture: NurtureConfig) -> None:
    offered = (Offer("awareness", "checklist", NOW),)
    later = NOW + 40 * DAY  # the whitepaper download has left events_last_30d
    plan = next_nurture_step(nurture, researcher(event("checklist_download", NOW + DAY), history=offered), later)
    assert (plan.state, plan.track, plan.step) == ("active", "awareness", "webinar-invite")


def test_a_qualified_contact_leaves_the_track(nurture: NurtureConfig) -> None:
    plan = next_nurture_step(nurture, researcher(history=(Offer("awareness", "checklist", NOW),), stage="mql"), NOW)
    assert plan.state == "none" and "track 'awareness': left (stage != null)" in plan.why


def test_a_handed_over_lead_is_paused(nurture: NurtureConfig) -> None:
    plan = next_nurture_step(nurture, researcher(handed_over=True), NOW)
    assert (plan.state, plan.step, plan.why) == ("paused", None, ("paused: the lead is handed over to sales",))


def test_a_recycled_lead_resumes_in_the_recycled_track_only(nurture: NurtureConfig) -> None:
    before = (Offer("awareness", "checklist", NOW - 20 * DAY),)
    plan = next_nurture_step(nurture, researcher(history=before, recycled_at=NOW - DAY), NOW)
    assert (plan.state, plan.track, plan.step) == ("active", "recycled", "whats-new")
    assert plan.why[0] == "recycled: only the track 'recycled'"


def test_in_the_recycled_track_only_engagements_since_the_recycle_count(nurture: NurtureConfig) -> None:
    history = (Offer("recycled", "whats-new", NOW),)
    before = event("newsletter_click", NOW - 2 * DAY)
    facts = researcher(before, history=history, recycled_at=NOW - 3 * DAY)
    assert next_nurture_step(nurture, facts, NOW + 6 * DAY).state == "none"
    after = event("newsletter_click", NOW + 2 * DAY)
    plan = next_nurture_step(nurture, researcher(after, history=history, recycled_at=NOW - 3 * DAY), NOW + 6 * DAY)
    assert (plan.track, plan.step) == ("recycled", "recycled-checklist")


@pytest.mark.parametrize(
    ("properties", "events"),
    [
        ({"hs_email_optout": "true"}, ()),
        ({"lifecyclestage": "customer"}, ()),
        ({"lifecyclestage": "other"}, ()),
        ({"hs_email_hard_bounce_reason_enum": "MAILBOX_FULL"}, ()),
        ({}, (event("unsubscribe", NOW - 3 * DAY),)),
    ],
)
def test_suppression_wins_over_everything(
    nurture: NurtureConfig, properties: dict[str, str], events: tuple[EngagementEvent, ...]
) -> None:
    plan = next_nurture_step(nurture, researcher(*events, properties=properties, handed_over=True), NOW)
    assert (plan.state, plan.track, plan.step) == ("suppressed", None, None)
    assert plan.why[0].startswith("suppressed: contact.hs_email_optout == 'true' or")


def test_opted_in_contacts_are_not_suppressed(nurture: NurtureConfig) -> None:
    properties = {"hs_email_optout": "false", "lifecyclestage": "lead"}
    assert next_nurture_step(nurture, researcher(properties=properties), NOW).state == "active"


def test_a_track_whose_every_step_was_offered_is_exhausted(nurture: NurtureConfig) -> None:
    steps = ("checklist", "webinar-invite", "best-of-newsletter")
    history = tuple(Offer("awareness", step, NOW - (30 - 8 * i) * DAY) for i, step in enumerate(steps))
    plan = next_nurture_step(nurture, researcher(history=history), NOW)
    assert (plan.state, plan.track, plan.step) == ("exhausted", "awareness", None)
    assert plan.why[-1] == "exhausted: every step of 'awareness' was offered"


def test_a_step_is_never_offered_twice(nurture: NurtureConfig) -> None:
    first = next_nurture_step(nurture, researcher(), NOW)
    history = (Offer("awareness", "checklist", NOW - 10 * DAY),)
    again = next_nurture_step(nurture, researcher(history=history), NOW)
    assert first.step == "checklist" and again.step != "checklist"
    moved = (Offer("decision", "checklist", NOW - 10 * DAY),)  # offered in any track counts
    assert next_nurture_step(nurture, researcher(history=moved), NOW).step != "checklist"


def test_a_completed_step_is_reported_with_its_completion_time(nurture: NurtureConfig) -> None:
    history = (Offer("awareness", "checklist", NOW), Offer("decision", "roi-calculator", NOW - 9 * DAY, NOW))
    facts = researcher(event("checklist_download", NOW + DAY), event("checklist_download", NOW + 2 * DAY),
                       history=history)  # fmt: skip
    plan = next_nurture_step(nurture, facts, NOW + 6 * DAY)
    assert plan.completed == (Offer("awareness", "checklist", NOW, NOW + DAY),)


def test_explain_gives_the_decision_then_every_reason(nurture: NurtureConfig) -> None:
    offered = (Offer("awareness", "checklist", NOW),)
    plan = next_nurture_step(nurture, researcher(event("checklist_download", NOW + DAY), history=offered), NOW + DAY)
    assert explain(plan) == [
        "waiting (pacing): step 'webinar-invite' of track 'awareness' at 2026-12-12 10:00 UTC",
        "  · track 'awareness' (priority 10): already in it",
        "  · step 'webinar-invite': after checklist_download on 2026-12-08 10:00 UTC",
        "  · gap: at least 5 days after the last offer (2026-12-07 10:00 UTC), 2026-12-12 10:00 UTC",
        "  · completed 'checklist' (2026-12-08 10:00 UTC)",
    ]
    assert explain(next_nurture_step(nurture, researcher(handed_over=True), NOW)) == [
        "paused",
        "  · paused: the lead is handed over to sales",
    ]
