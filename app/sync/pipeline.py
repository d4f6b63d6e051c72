"""The drain's body: one batch of contacts through a pipeline of capability steps.

    read → prepare → plan → apply → record

1. read: the contacts, with every property a step reads, and their primary companies (through the company
   cache) from HubSpot; their state from the ledger.
2. prepare: each step loads what it keeps in the ledger and acts on what HubSpot says now, before anything is
   assessed (sales' answer to a handover may start the contact's next qualification cycle).
3. plan: each step in turn plans over the whole batch through its pure rules (scoring assesses; handover routes
   the contacts that enter a stage), queueing contact writes and effects on the batch.
4. apply: each step carries out its effects, batched across the drain (tasks, deals); then the pipeline writes
   every step's contact properties together, one batch update per 100 contacts (none when nothing changed).
5. record: in the drain's one ledger transaction each step records what it did, and the batch's signals are
   marked processed. A drain killed half-way records nothing; its re-run records everything once.

A capability joins the drain as a step (`DrainStep`) registered in the composition root; the pipeline does
not change. HubSpot requests per 100 contacts: one batch read of the contacts (their primary company's id comes
with them, as HubSpot's `associatedcompanyid`), one batch read per 100 companies the cache does not hold
(none when no step reads a company property), one batch update per 100 contacts whose values changed, plus
what the steps' effects need.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection

from app.ledger import state
from app.ledger.records import Backlog, ContactStateRecord
from app.ledger.store import Ledger
from app.logs import log_context
from app.rules.scoring.assessment import Assessment
from app.rules.scoring.engagement import EngagementEvent
from app.sync.hubspot.company_cache import CompanyCache, read_companies
from app.sync.hubspot.gateway import PRIMARY_COMPANY_ID, HubSpotGateway, Properties

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reads:
    """The HubSpot properties a step reads: of the contacts, and of their primary companies."""

    contact: frozenset[str] = frozenset()
    company: frozenset[str] = frozenset()

    def __or__(self, other: Reads) -> Reads:
        return Reads(self.contact | other.contact, self.company | other.company)


@dataclass
class Member:
    """One contact of the batch: what HubSpot shows, where it works, what the ledger remembers, and what the
    steps made of it so far."""

    contact_id: str
    contact: Properties
    company_id: str | None
    company: Properties
    state: ContactStateRecord | None
    cycle: int = 1  # the qualification cycle (a rejected handover starts the next one)
    counted_from: datetime | None = None  # engagement before this moment does not count (a recycle)
    assessment: Assessment | None = None  # set by the scoring step's plan
    engagements: tuple[EngagementEvent, ...] = ()  # every engagement the ledger holds (set by the scoring step)
    recycled_at: datetime | None = None  # the last recycle (a rejected handover); the handover step sets a new one
    handed_over: bool = False  # sales has the lead: an open handover (set by the handover step)

    @property
    def previous_stage(self) -> str | None:
        return self.state.stage if self.state else None

    def assessed(self) -> Assessment:
        """Return the contact's assessment (steps after scoring may rely on it)."""
        assert self.assessment is not None, "the scoring step plans before the steps that read assessments"
        return self.assessment

    def enters_stage(self) -> bool:
        """Return whether the contact enters a stage in this drain (where a handover may route it)."""
        stage = self.assessed().stage
        return stage is not None and stage != self.previous_stage


@dataclass
class Batch:
    """The drain's working set, shared by its steps: members, and the contact writes and errors they queue."""

    members: dict[str, Member]
    missing: list[str]  # claimed contacts HubSpot no longer has
    now: datetime
    reads: Reads  # what was read of the contacts and companies (every step's properties)
    first_writes: dict[str, dict[str, str]] = field(default_factory=dict)  # written before `writes`
    writes: dict[str, dict[str, str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # contact id → why its work failed (kept on its state)
    refused: dict[str, str] = field(default_factory=dict)  # contact id → why HubSpot refused its write
    effects: dict[str, int] = field(default_factory=dict)  # what the steps did, counted by name ("handovers")
    backlog: Mapping[str, Backlog] = field(default_factory=dict)  # each contact's signals this drain reflects
    occasion: str = "drain"  # why the batch runs: "drain" (dirty contacts) or "rescore" (`leadflow rescore --all`)
    watermark: int = 0  # the ledger's newest signal when the batch began: the batch reflects signals up to it

    def write(self, contact_id: str, values: Mapping[str, str]) -> None:
        """Queue contact property writes (a later value for the same property replaces an earlier one)."""
        if values:
            self.writes.setdefault(contact_id, {}).update(values)

    def write_first(self, contact_id: str, values: Mapping[str, str]) -> None:
        """Queue writes that must land before the others (HubSpot only takes some values after a clear)."""
        if values:
            self.first_writes.setdefault(contact_id, {}).update(values)

    def count(self, effect: str, number: int = 1) -> None:
        self.effects[effect] = self.effects.get(effect, 0) + number

    def written(self) -> list[str]:
        """Return the contacts whose writes HubSpot took."""
        return [contact_id for contact_id in self.writes if contact_id not in self.refused]

    def acted_at(self, contact_id: str) -> datetime | None:
        """Return when the buyer acted: the newest `occurred_at` of the contact's signals this drain reflects
        (None when none of its own waited)."""
        waiting = self.backlog.get(contact_id)
        return waiting.newest_occurred_at if waiting else None


class DrainStep(Protocol):
    """A capability's share of the drain; each phase sees the whole batch (see the module's docstring)."""

    def reads(self) -> Reads:
        """Return the HubSpot properties the step needs on the batch's contacts and companies."""
        ...

    def prepare(self, batch: Batch) -> None:
        """Load the step's ledger state for the batch; act on what HubSpot says before assessment."""
        ...

    def plan(self, batch: Batch) -> None:
        """Plan over the whole batch through the pure rules; queue contact writes and effects."""
        ...

    def apply(self, batch: Batch) -> None:
        """Carry out the planned effects in HubSpot, batched across the drain."""
        ...

    def record(self, batch: Batch, connection: Connection) -> None:
        """Record what the step did, inside the drain's one ledger transaction."""
        ...


@dataclass(frozen=True)
class DrainReport:
    claimed: int = 0
    written: int = 0
    unchanged: int = 0
    missing: int = 0
    refused: int = 0
    remaining: int = 0
    signals_processed: int = 0
    effects: Mapping[str, int] = field(default_factory=dict)  # by name, e.g. {"handovers": 3}
    write_latencies: tuple[float, ...] = ()  # per written contact: seconds from its oldest waiting signal's arrival


@dataclass(frozen=True)
class Pipeline:
    """The drain's steps and what running them needs."""

    ledger: Ledger
    gateway: HubSpotGateway
    steps: tuple[Callable[[], DrainStep], ...]  # in order; a fresh step per batch, so it may keep the batch's work
    clock: Callable[[], datetime]
    company_cache: CompanyCache | None = None  # company properties kept between drains (None: read every time)
    recheck_later: Callable[[Sequence[str], float], None] | None = None  # contacts to look at again, and when
    recheck_after_seconds: float = 300.0  # after an unanswered write, look at the contact again this much later

    def reads(self) -> Reads:
        """Return what the drain reads: every step's properties, and the contacts' primary company."""
        return _reads([make() for make in self.steps])

    def run(
        self,
        contact_ids: Sequence[str],
        read: Mapping[str, Properties] | None = None,
        watermark: int | None = None,
        occasion: str = "drain",
    ) -> DrainReport:
        """Run the batch of these (claimed) contacts through every step.

        `read`: the contacts' properties when the caller has just read them from HubSpot (a re-score reads them
        with the page that lists them), with every property `reads()` names; else they are read here.
        `watermark`: the ledger's watermark taken before that read (signals after it stay unprocessed).
        `occasion`: why the batch runs (`Batch.occasion`), kept with what the steps record.
        """
        with log_context(contact_ids=contact_ids):
            if watermark is None:
                watermark = self.ledger.signals.watermark()
            backlog = self.ledger.signals.backlog_of(contact_ids, watermark)
            steps = [make() for make in self.steps]
            batch = self._read(contact_ids, read, _reads(steps))
            batch.backlog, batch.occasion, batch.watermark = backlog, occasion, watermark
            for step in steps:
                step.prepare(batch)
            for step in steps:
                step.plan(batch)
            for step in steps:
                step.apply(batch)
            written_at = self._write(batch)
            self._record(steps, batch, watermark)
            return _report(contact_ids, batch, batch.backlog, written_at)  # a step may add signals it judged

    def _read(self, contact_ids: Sequence[str], read: Mapping[str, Properties] | None, reads: Reads) -> Batch:
        if read is None:
            read = self.gateway.read_objects("contact", contact_ids, sorted(reads.contact))
        contacts = {contact_id: read[contact_id] for contact_id in contact_ids if contact_id in read}
        company_of = {cid: company for cid, values in contacts.items() if (company := values.get(PRIMARY_COMPANY_ID))}
        companies: Mapping[str, Properties] = {}
        if reads.company:
            wanted = sorted(set(company_of.values()))
            companies = read_companies(self.gateway, self.company_cache, wanted, sorted(reads.company))
        states = self.ledger.contacts.states_of(list(contacts))
        members = {}
        for contact_id, properties in contacts.items():
            state, company_id = states.get(contact_id), company_of.get(contact_id)
            members[contact_id] = Member(
                contact_id,
                properties,
                company_id,
                companies.get(company_id or "", {}),
                state,
                cycle=state.qualification_cycle if state else 1,
                recycled_at=state.recycled_at if state else None,
            )
        missing = [contact_id for contact_id in contact_ids if contact_id not in contacts]
        return Batch(members, missing, self.clock(), reads)

    def _write(self, batch: Batch) -> datetime:
        """Write the queued contact properties; note what HubSpot refused or left unanswered; return when."""
        if batch.first_writes:
            for contact_id, reason in self.gateway.update_objects("contact", batch.first_writes).items():
                # Without the clear, HubSpot ignores the second write's value (a backward move): never silently.
                names = ", ".join(sorted(batch.first_writes[contact_id]))
                batch.errors[contact_id] = f"HubSpot refused clearing {names}: {reason}"
                logger.error("drain.write-refused", extra={"contact_id": contact_id, "reason": reason})
        batch.refused = self.gateway.update_objects("contact", batch.writes) if batch.writes else {}
        written_at = self.clock()
        for contact_id, reason in batch.refused.items():
            logger.error("drain.write-refused", extra={"contact_id": contact_id, "reason": reason})
        uncertain = self.gateway.uncertain_writes("contact")
        if uncertain and self.recheck_later is not None:
            # A write HubSpot never answered may land late, over a newer one: look at the contact again later.
            self.recheck_later(sorted(uncertain), written_at.timestamp() + self.recheck_after_seconds)
        return written_at

    def _record(self, steps: Sequence[DrainStep], batch: Batch, watermark: int) -> None:
        """Record every step's work, the contacts HubSpot no longer has, the errors and the processed signals.

        Signals of refused contacts count as processed too: the refusal is recorded on the contact, and retrying
        it on every reconcile could not succeed until something about the contact changes.
        """
        with self.ledger.transaction() as connection:
            for step in steps:
                step.record(batch, connection)
            state.mark_deleted(connection, batch.missing, batch.now)
            state.record_error(connection, {**batch.errors, **batch.refused})
            state.mark_processed(connection, [*batch.members, *batch.missing], watermark, batch.now)


def _reads(steps: Sequence[DrainStep]) -> Reads:
    every = Reads(frozenset({PRIMARY_COMPANY_ID}))
    for step in steps:
        every = every | step.reads()
    return every


def _report(
    contact_ids: Sequence[str], batch: Batch, backlog: Mapping[str, Backlog], written_at: datetime
) -> DrainReport:
    written = batch.written()
    return DrainReport(
        claimed=len(contact_ids),
        written=len(written),
        unchanged=len(batch.members) - len(batch.writes),
        missing=len(batch.missing),
        refused=len(batch.refused),
        signals_processed=sum(item.signals for item in backlog.values()),
        effects=dict(batch.effects),
        write_latencies=_latencies(backlog, written, written_at),
    )


def _latencies(backlog: Mapping[str, Backlog], written: Sequence[str], written_at: datetime) -> tuple[float, ...]:
    """Return, for each written contact with waiting signals, the seconds since the oldest of them arrived."""
    waited = (written_at - backlog[contact_id].oldest_received_at for contact_id in written if contact_id in backlog)
    return tuple(max(delta.total_seconds(), 0.0) for delta in waited)
