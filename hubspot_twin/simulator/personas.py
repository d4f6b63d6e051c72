"""Buyer personas: who they are (role, company, address) and what they do, week by week."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

ACTIONS = (
    "whitepaper", "checklist", "webinar", "webinar_attendance", "newsletter_open", "newsletter_click",
    "pricing_view", "demo_request", "unsubscribe",
)  # fmt: skip


@dataclass(frozen=True)
class Persona:
    """A kind of buyer. `weekly` is the expected number of each action per active week."""

    name: str
    share: float
    roles: tuple[tuple[str, str], ...]
    target_company_share: float
    free_mail_share: float
    weekly: Mapping[str, float]
    active_weeks: int
    accept_rate: float
    win_rate: float
    customer: bool = False


DECISION = (("Managing Director", "DECISION_MAKER"), ("Head of Finance", "BUDGET_HOLDER"), ("CTO", "DECISION_MAKER"))
CHAMPIONS = (("Operations Manager", "CHAMPION"), ("Head of Maintenance", "CHAMPION"), ("Plant Manager", "INFLUENCER"))
USERS = (("Maintenance Engineer", "END_USER"), ("IT Administrator", "INFLUENCER"), ("Procurement Lead", "BLOCKER"))
OUTSIDERS = (("Student", "OTHER"), ("Analyst", "OTHER"), ("Consultant", "INFLUENCER"))

PERSONAS = (
    Persona("researcher", 0.24, USERS + CHAMPIONS, 0.6, 0.15,
            {"whitepaper": 0.8, "checklist": 0.5, "newsletter_open": 1.5, "newsletter_click": 0.6, "webinar": 0.15},
            active_weeks=6, accept_rate=0.3, win_rate=0.1),
    Persona("evaluator", 0.16, DECISION + CHAMPIONS, 0.8, 0.02,
            {"whitepaper": 0.6, "webinar": 0.4, "pricing_view": 0.9, "newsletter_click": 0.5, "demo_request": 0.25,
             "webinar_attendance": 0.3},
            active_weeks=5, accept_rate=0.75, win_rate=0.35),
    Persona("champion", 0.10, CHAMPIONS, 0.9, 0.0,
            {"whitepaper": 0.9, "webinar": 0.5, "pricing_view": 0.6, "newsletter_click": 0.8, "demo_request": 0.35,
             "webinar_attendance": 0.35},
            active_weeks=6, accept_rate=0.85, win_rate=0.45),
    Persona("tire-kicker", 0.20, USERS + DECISION, 0.4, 0.3,
            {"newsletter_open": 1.0, "newsletter_click": 0.3, "pricing_view": 0.3, "whitepaper": 0.2,
             "unsubscribe": 0.05},
            active_weeks=3, accept_rate=0.15, win_rate=0.02),
    Persona("student", 0.12, OUTSIDERS[:1], 0.0, 0.9,
            {"whitepaper": 1.2, "checklist": 0.8, "webinar": 0.3, "webinar_attendance": 0.1, "newsletter_open": 0.5},
            active_weeks=4,
            accept_rate=0.0, win_rate=0.0),
    Persona("competitor", 0.06, OUTSIDERS[1:], 0.7, 0.1,
            {"whitepaper": 1.0, "checklist": 0.6, "pricing_view": 0.8, "webinar": 0.3}, active_weeks=8,
            accept_rate=0.05, win_rate=0.0),
    Persona("existing-customer", 0.12, DECISION + USERS, 0.9, 0.0,
            {"newsletter_open": 1.2, "newsletter_click": 0.5, "webinar": 0.2, "unsubscribe": 0.02}, active_weeks=8,
            accept_rate=0.5, win_rate=0.5, customer=True),
)  # fmt: skip


def persona_named(name: str) -> Persona:
    """Return the persona called `name`."""
    return next(persona for persona in PERSONAS if persona.name == name)
