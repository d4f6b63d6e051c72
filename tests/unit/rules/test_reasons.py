"""Reasons: one per matched fit rule and per contributing event type whose rounded points are not 0, ordered and
rendered for HubSpot."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from app.rules import EngagementEvent, Reason, ScoringModel, assess, render_reasons

Parse = Callable[[str], ScoringModel]
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_reasons_are_ordered_by_absolute_points_then_id(model_from: Parse) -> None:
    model = model_from(
        """
        model: m
        fit:
          limit: 100
          rules:
            - {id: b-ten, when: "true", points: 10}
            - {id: minus-thirty, when: "true", points: -30}
            - {id: a-ten, when: "true", points: 10}
            - {id: zero, when: "true", points: 0}
            - {id: never, when: "false", points: 50}
        engagement: {limit: 100, events: {a-event: {points: 10}, quiet: {points: 7}}}
        """
    )
    reasons = assess(model, {}, {}, [EngagementEvent("a-event", NOW)], NOW).reasons
    assert [(reason.id, reason.points) for reason in reasons] == [
        ("minus-thirty", -30),
        ("a-event", 10),
        ("a-ten", 10),
        ("b-ten", 10),
    ]


def test_reasons_render_with_sign_label_count_and_flags() -> None:
    reasons = [
        Reason("decision-maker", "Decision maker or budget holder", 30),
        Reason("demo_request", "Demo request", 10, count=1),
        Reason("whitepaper_download", "Whitepaper download", 4, count=1, decayed=True),
        Reason("newsletter_click", "Newsletter click", 10, count=7, decayed=True, capped=True),
        Reason("pricing_page_view", "Pricing page view", 9, count=3, capped=True),
        Reason("free-mail", "Free-mail address", -30),
        Reason("zero", "Nothing", 0),
    ]
    assert render_reasons(reasons) == (
        "+30 Decision maker or budget holder · +10 Demo request (1×) · +4 Whitepaper download (1×, decayed) · "
        "+10 Newsletter click (7×, decayed, capped) · +9 Pricing page view (3×, capped) · -30 Free-mail address · "
        "+0 Nothing"
    )


def test_no_reasons_render_as_empty_text() -> None:
    assert render_reasons([]) == ""


def test_long_reasons_are_cut_at_a_whole_reason_and_end_in_an_ellipsis() -> None:
    reasons = [Reason(f"rule-{n:03}", f"Rule number {n:03} with a fairly long label", 1) for n in range(60)]
    text = render_reasons(reasons)
    assert len(text) <= 1000
    assert text.endswith(" · …")
    assert text.startswith("+1 Rule number 000 with a fairly long label · ")
    assert text.count("+1 Rule number") == text.count(" · ")


def test_a_single_overlong_reason_is_cut_inside_its_label() -> None:
    text = render_reasons([Reason("long", "x" * 2000, 5)], max_length=100)
    assert len(text) == 100
    assert text.startswith("+5 xxx")
    assert text.endswith("…")


def test_the_rendering_of_a_real_assessment_matches_the_contract_example(default_model: ScoringModel) -> None:
    contact = {"hs_buying_role": "DECISION_MAKER"}
    events = [
        EngagementEvent("demo_request", NOW),
        EngagementEvent("whitepaper_download", NOW - timedelta(days=28)),
    ]
    text = render_reasons(assess(default_model, contact, {}, events, NOW).reasons)
    assert text == "+30 Decision maker or budget holder · +10 Demo request (1×) · +4 Whitepaper download (1×, decayed)"
