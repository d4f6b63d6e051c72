"""Buyers' reactions to nurture emails: by persona and the content's phase, seeded, in time order after the send."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from hubspot_twin.simulator.personas import PERSONAS, persona_named
from hubspot_twin.simulator.plan import PlannedAction
from hubspot_twin.simulator.portal import SimContact
from hubspot_twin.simulator.reactions import (
    CLICK,
    CONTENT,
    INTEREST,
    OPEN,
    RESPONSIVENESS,
    content_of,
    plan_reactions,
)

SENT = datetime(2026, 9, 3, 8, 0, tzinfo=UTC)
RUNS = 600


def contact(persona: str, index: int = 3) -> SimContact:
    return SimContact(f"c{index}", index, "Ada Keller", persona_named(persona), None)


def action_rate(persona: str, content: str, action: str) -> float:
    """Share of contacts of `persona` (one per index, same seed) who take `action` after the email `content`."""
    taken = sum(
        any(
            r.action == action and r.reaction == "action" for r in plan_reactions(contact(persona, n), content, SENT, 7)
        )
        for n in range(RUNS)
    )
    return taken / RUNS


def test_every_persona_has_interest_in_every_phase_and_a_pace() -> None:
    phases = {content.phase for content in CONTENT.values()}
    for persona in PERSONAS:
        assert set(INTEREST[persona.name]) == phases
        assert RESPONSIVENESS[persona.name].open_hours > 0


def test_the_same_seed_gives_the_same_reactions_and_other_seeds_other_ones() -> None:
    buyers = [contact("researcher", n) for n in range(40)]
    first = [plan_reactions(buyer, "checklist", SENT, 7) for buyer in buyers]
    assert first == [plan_reactions(buyer, "checklist", SENT, 7) for buyer in buyers]
    assert first != [plan_reactions(buyer, "checklist", SENT, 8) for buyer in buyers]
    assert any(first) and not all(first)  # some react, some do not


def test_a_researcher_downloads_the_checklist_where_a_tire_kicker_ignores_it() -> None:
    researcher, tire_kicker = (
        action_rate("researcher", "checklist", "checklist"),
        action_rate("tire-kicker", "checklist", "checklist"),
    )
    expected = INTEREST["researcher"]["awareness"]
    assert researcher == pytest.approx(expected.open * expected.click * expected.act, abs=0.06)
    assert tire_kicker < 0.02
    assert researcher > 0.3


def test_evaluators_take_decision_content_and_leave_awareness_content() -> None:
    assert action_rate("evaluator", "roi-calculator", "demo_request") > 0.08
    assert action_rate("evaluator", "customer-story", "pricing_view") > 0.25
    assert action_rate("evaluator", "checklist", "checklist") < action_rate(
        "evaluator", "customer-story", "pricing_view"
    )
    assert action_rate("student", "roi-calculator", "demo_request") == 0
    assert action_rate("competitor", "checklist", "checklist") == 0


@pytest.mark.parametrize(
    ("content", "action"),
    [("checklist", "checklist"), ("webinar-invite", "webinar"), ("comparison-guide", "whitepaper"),
     ("pricing-overview", "pricing_view"), ("customer-story", "pricing_view"), ("roi-calculator", "demo_request"),
     ("recycled-checklist", "checklist"), ("recycled-webinar", "webinar"), ("recycled-comparison-guide", "whitepaper")],
)  # fmt: skip
def test_each_contents_action_is_a_click_then_the_action_in_time_order_after_the_send(
    content: str, action: str
) -> None:
    reactions = next(r for n in range(RUNS) if len(r := plan_reactions(contact("champion", n), content, SENT, 7)) == 2)
    assert [(r.action, r.reaction, r.content) for r in reactions] == [
        (CLICK, "click", content),
        (action, "action", content),
    ]
    assert SENT < reactions[0].at < reactions[1].at


@pytest.mark.parametrize("content", ["best-of-newsletter", "whats-new"])
def test_a_newsletters_click_is_its_action(content: str) -> None:
    seen = {tuple(r.action for r in plan_reactions(contact("researcher", n), content, SENT, 7)) for n in range(RUNS)}
    assert seen == {(), (OPEN,), (CLICK,)}


def test_an_unknown_content_id_is_opened_at_most() -> None:
    seen = {
        tuple(r.action for r in plan_reactions(contact("champion", n), "company-news", SENT, 7)) for n in range(RUNS)
    }
    assert seen == {(), (OPEN,)}


def test_an_open_comes_within_the_personas_hours_after_the_send() -> None:
    opens = [r for n in range(RUNS) for r in plan_reactions(contact("evaluator", n), "company-news", SENT, 7)]
    hours = [(r.at - SENT).total_seconds() / 3600 for r in opens]
    assert opens and all(0 < h <= RESPONSIVENESS["evaluator"].open_hours for h in hours)
    assert all(isinstance(r, PlannedAction) and r.contact_index < RUNS for r in opens)


def test_a_recycled_step_is_its_namesake_in_the_recycled_phase_and_other_ids_are_unknown() -> None:
    assert content_of("recycled-pricing-overview") == replace(CONTENT["pricing-overview"], phase="recycled")
    assert content_of("recycled-company-news") is None
    assert content_of("company-news") is None
