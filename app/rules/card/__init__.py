"""The contact card (docs/contact-card.md): what it shows of a contact, and sales' answer given on it."""

from __future__ import annotations

from app.rules.card.answer import ANSWERS, AnswerRefused, answer_choices, plan_answer
from app.rules.card.view import (
    CardFacts,
    CardHandover,
    CardNurture,
    CardScores,
    CardSla,
    card_document,
    card_state,
)

__all__ = [
    "ANSWERS",
    "AnswerRefused",
    "CardFacts",
    "CardHandover",
    "CardNurture",
    "CardScores",
    "CardSla",
    "answer_choices",
    "card_document",
    "card_state",
    "plan_answer",
]
