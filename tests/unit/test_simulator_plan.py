"""Planning the buyers' weeks (`plan_actions`): reproducible, in time order, inside each persona's active weeks,
at the persona's weekly rates. Every random number comes from a fixed seed, so the statistical bounds never flake.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from hubspot_twin.simulator.personas import PERSONAS, Persona, persona_named
from hubspot_twin.simulator.plan import WEEK, _poisson, plan_actions
from hubspot_twin.simulator.portal import SimContact

START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def contacts_of(*personas: Persona, each: int = 1) -> list[SimContact]:
    """Return `each` company-less contacts per persona, indexed in order (the planner needs no twin)."""
    people = [persona for persona in personas for _ in range(each)]
    return [
        SimContact(str(1001 + index), index, f"Buyer {index}", persona, None) for index, persona in enumerate(people)
    ]


def test_the_same_seed_gives_the_same_plan_and_another_seed_a_different_one() -> None:
    contacts = contacts_of(*PERSONAS, each=5)
    first = plan_actions(contacts, START, 28, seed=7)
    assert first
    assert plan_actions(contacts, START, 28, seed=7) == first
    assert plan_actions(contacts, START, 28, seed=8) != first


def test_actions_come_in_time_order_inside_the_simulated_days() -> None:
    plan = plan_actions(contacts_of(*PERSONAS, each=10), START, 17, seed=3)  # 17 days: the third week is cut short
    moments = [action.at for action in plan]
    assert moments == sorted(moments)
    assert all(START <= moment < START + timedelta(days=17) for moment in moments)
    assert max(moments) >= START + timedelta(days=14)  # the cut-short week is planned, up to the end


def test_a_contact_acts_only_within_its_personas_active_weeks() -> None:
    contacts = contacts_of(*PERSONAS, each=20)
    plan = plan_actions(contacts, START, 7 * 20, seed=11)  # 20 weeks: longer than any persona is active
    weeks: dict[int, set[int]] = {}
    for action in plan:
        weeks.setdefault(action.contact_index, set()).add((action.at - START) // WEEK)
    assert len(weeks) > len(contacts) * 0.9
    for index, active in weeks.items():
        assert max(active) - min(active) < contacts[index].persona.active_weeks
    spans = {max(active) - min(active) + 1 for active in weeks.values()}
    assert max(spans) == max(persona.active_weeks for persona in PERSONAS)  # the whole span is used


@pytest.mark.parametrize("persona", PERSONAS, ids=lambda persona: persona.name)
def test_each_action_happens_about_as_often_per_active_week_as_the_persona_says(persona: Persona) -> None:
    contacts = contacts_of(persona, each=3000)
    plan = plan_actions(contacts, START, 7, seed=5)  # one week: every contact is active in exactly that week
    counts = Counter(action.action for action in plan)
    assert set(counts) <= set(persona.weekly)
    for action, rate in persona.weekly.items():
        assert counts[action] / len(contacts) == pytest.approx(rate, rel=0.1, abs=0.01), action


def test_a_persona_without_an_action_never_plans_it() -> None:
    plan = plan_actions(contacts_of(persona_named("student"), each=200), START, 28, seed=1)
    assert {action.action for action in plan} == set(persona_named("student").weekly)
    assert "demo_request" not in {action.action for action in plan}


@pytest.mark.parametrize("rate", [0.05, 0.8, 1.5, 4.0])
def test_poisson_draws_average_to_their_rate(rate: float) -> None:
    rng = random.Random(42)
    draws = [_poisson(rng, rate) for _ in range(20_000)]
    assert sum(draws) / len(draws) == pytest.approx(rate, rel=0.05)
    assert min(draws) == 0


def test_poisson_with_rate_zero_always_draws_zero() -> None:
    rng = random.Random(1)
    assert {_poisson(rng, 0.0) for _ in range(100)} == {0}
