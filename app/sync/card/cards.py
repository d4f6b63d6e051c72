"""The contact card's two operations (docs/contact-card.md).

`read` shapes what the ledger holds of a contact into the card's document: no HubSpot call, the SLA status as the
SLA watch computes it. `answer` gives sales' answer the way HubSpot would carry one: it writes the lead status (and
the reject reason) on the contact through the gateway and marks the contact dirty, so the next drain reads the
answer and records it exactly as one given in HubSpot. Leadflow's own write comes back as an echo the webhook drops,
so the mark, not the webhook, brings the drain. The ledger is never written here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.ledger.card import CardStore
from app.rules.card import AnswerRefused, CardSla, card_document, plan_answer
from app.rules.handover.config import HandoverConfig
from app.rules.sla.policy import SlaConfig
from app.sync.hubspot.gateway import HubSpotGateway
from app.sync.sla.status import sla_view
from app.worklist import Worklist

logger = logging.getLogger(__name__)


class UnknownContact(LookupError):
    """The ledger holds no assessment of the contact: never scored, deleted, or forgotten."""


class AnswerNotWritten(Exception):
    """HubSpot refused the answer's write for good (`reason`), or left it unconfirmed (`unconfirmed`)."""

    def __init__(self, reason: str, unconfirmed: bool = False) -> None:
        super().__init__(reason)
        self.unconfirmed = unconfirmed


@dataclass(frozen=True)
class AnswerGiven:
    """An answer written to the contact: the handover it answers and the contact writes."""

    handover_key: str
    writes: Mapping[str, str]


def _no_names() -> Mapping[str, str]:
    return {}


@dataclass(frozen=True)
class ContactCards:
    store: CardStore
    gateway: Callable[[], HubSpotGateway]
    worklist: Worklist
    handover_config: HandoverConfig | None
    sla_config: SlaConfig | None
    clock: Callable[[], datetime]
    recheck_after: timedelta = timedelta(minutes=5)
    owner_names: Callable[[], Mapping[str, str]] = field(default=_no_names)

    def read(self, contact_id: str) -> dict[str, Any]:
        """Return the contact's card document; raise `UnknownContact` when Leadflow has not scored it."""
        found = self.store.of(contact_id)
        if found is None:
            raise UnknownContact(f"Leadflow has not scored contact {contact_id}")
        now = self.clock()
        sla = None
        if found.clock is not None and self.sla_config is not None:
            view = sla_view(self.sla_config, found.clock, now)
            sla = CardSla(found.clock.sla_target, view.status.value, view.due_at, view.business_minutes)
        return card_document(found.facts, sla, self.handover_config, now, self.owner_names())

    def answer(self, contact_id: str, answer: str, reason: str | None, user_id: str | None) -> AnswerGiven:
        """Write sales' answer on the contact for the next drain; raise `UnknownContact`, `AnswerRefused` (nothing
        written), `AnswerNotWritten` or the gateway's `HubSpotError`."""
        writes = plan_answer(self.handover_config, answer, reason)  # the input first: refused before any read
        found = self.store.of(contact_id)
        if found is None:
            raise UnknownContact(f"Leadflow has not scored contact {contact_id}")
        handover = found.facts.open_handover()
        if handover is None:
            raise AnswerRefused("no-open-handover", f"contact {contact_id} has no handover waiting for an answer")
        self._write(contact_id, writes)
        logger.info("card.answer-written", extra={"contact": contact_id, "handover": handover.key,
                                                   "answer": answer, "user": user_id})  # fmt: skip
        return AnswerGiven(handover.key, writes)

    def _write(self, contact_id: str, writes: Mapping[str, str]) -> None:
        gateway = self.gateway()
        try:
            refused = gateway.update_objects("contact", {contact_id: writes})
        finally:  # whatever HubSpot answered, the drain reads the contact as it now is
            now = self.clock().timestamp()
            self.worklist.mark_due([[contact_id]], now)
        if contact_id in refused:
            raise AnswerNotWritten(refused[contact_id])
        if contact_id in gateway.uncertain_writes("contact"):
            self.worklist.recheck_later([contact_id], now + self.recheck_after.total_seconds())
            raise AnswerNotWritten("HubSpot did not confirm the write; it may still land", unconfirmed=True)
