"""The contact card's shell: read a contact's card from the ledger; carry sales' answer to HubSpot for the drain."""

from __future__ import annotations

from app.sync.card.cards import AnswerGiven, AnswerNotWritten, ContactCards, UnknownContact

__all__ = ["AnswerGiven", "AnswerNotWritten", "ContactCards", "UnknownContact"]
