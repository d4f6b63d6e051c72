"""Planning the buyers' weeks: when each contact does what, fixed in advance by the seed."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from hubspot_twin.simulator.portal import SimContact

WEEK = timedelta(days=7)


@dataclass(frozen=True, order=True)
class PlannedAction:
    """`action` (an `apply_action` action) by the contact at `at`; a reaction to a nurture email names the
    `content` and the `reaction` (`open`, `click`, `action`), a planned action neither."""

    at: datetime
    contact_index: int
    action: str
    content: str = ""
    reaction: str = ""


def plan_actions(contacts: list[SimContact], start: datetime, days: int, seed: int) -> list[PlannedAction]:
    """Return every contact's actions over `days`, in time order (the same for the same seed)."""
    end = start + timedelta(days=days)
    planned = [
        action
        for contact in contacts
        for action in _plan_contact(contact, start, end, random.Random(f"{seed}:{contact.index}"))
    ]
    return sorted(planned)


def _plan_contact(contact: SimContact, start: datetime, end: datetime, rng: random.Random) -> list[PlannedAction]:
    persona = contact.persona
    total_weeks = max(1, math.ceil((end - start) / WEEK))
    first_week = rng.randrange(total_weeks)
    actions = []
    for week in range(first_week, min(total_weeks, first_week + persona.active_weeks)):
        week_start = start + week * WEEK
        for action, rate in persona.weekly.items():
            for _ in range(_poisson(rng, rate)):
                moment = week_start + timedelta(seconds=rng.randrange(7 * 86_400))
                if moment < end:
                    actions.append(PlannedAction(moment, contact.index, action))
    return actions


def _poisson(rng: random.Random, mean: float) -> int:
    """Draw from a Poisson distribution (Knuth's method; the means here are small)."""
    threshold, count, product = math.exp(-mean), 0, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count
