"""The scoring step of the drain: assess every contact of the batch, write the scores that changed, record the
assessments, every change of stage and the score history (app/sync/scoring/history.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from app.ledger import handovers, state
from app.ledger import history as ledger_history
from app.ledger.records import AssessedContact, TransitionRecord
from app.ledger.store import Ledger
from app.rules import EngagementEvent, ScoringModel, assess_over_time
from app.rules.scoring.writes import SCORE_PROPERTIES, plan_score_writes
from app.rules.values import to_timestamp
from app.sync.pipeline import Batch, Member, Reads
from app.sync.scoring import history

CREATED = "createdate"  # when HubSpot created the contact: kept for the KPIs' lead cohort (docs/kpis.md)


@dataclass
class ScoringStep:
    """Fit and engagement by the scoring model; transitions between stages. One instance per batch."""

    model: ScoringModel
    ledger: Ledger
    _engagements: dict[str, list[EngagementEvent]] = field(default_factory=dict, repr=False)
    _types: dict[str, str] = field(default_factory=dict, repr=False)
    _transitions: list[TransitionRecord] = field(default_factory=list, repr=False)
    _next_change: dict[str, datetime | None] = field(default_factory=dict, repr=False)
    _scored: set[str] = field(default_factory=set, repr=False)  # contacts whose score properties are written

    def reads(self) -> Reads:
        contact, company = self.model.referenced_properties()
        return Reads(frozenset({*contact, *SCORE_PROPERTIES, CREATED}), frozenset(company))

    def prepare(self, batch: Batch) -> None:
        self._engagements = self.ledger.contacts.engagements_of(list(batch.members))
        for contact_id, member in batch.members.items():  # the later steps read them too (nurture)
            member.engagements = tuple(self._engagements.get(contact_id, ()))
        self._types = self.ledger.contacts.property_types()
        self._transitions = []

    def plan(self, batch: Batch) -> None:
        for member in batch.members.values():
            timed = assess_over_time(
                self.model, member.contact, member.company, self._events(member), batch.now, self._types
            )
            member.assessment = timed.assessment
            self._next_change[member.contact_id] = timed.next_change_at
            if member.previous_stage != member.assessment.stage:
                self._transitions.append(history.transition(member, batch))
            writes = plan_score_writes(member.assessment, member.contact, batch.now)
            if writes:
                self._scored.add(member.contact_id)
                batch.write(member.contact_id, writes)

    def apply(self, batch: Batch) -> None:
        """Nothing of its own: the score writes go out with the drain's one contact update."""

    def record(self, batch: Batch, connection: Connection) -> None:
        written = set(batch.written())
        handovers.record_transitions(connection, self._transitions)
        ledger_history.record_score_changes(connection, history.score_changes(batch, self._scored & written))
        assessed = [
            AssessedContact(
                member.contact_id,
                member.company_id,
                member.assessed(),
                batch.now,
                member.contact_id in written,
                self._next_change.get(member.contact_id),
                to_timestamp(member.contact.get(CREATED)),
            )
            for member in batch.members.values()
        ]
        state.record_assessed(connection, assessed)

    def _events(self, member: Member) -> list[EngagementEvent]:
        since = member.counted_from
        engagements = self._engagements.get(member.contact_id, [])
        return [event for event in engagements if since is None or event.occurred_at > since]
