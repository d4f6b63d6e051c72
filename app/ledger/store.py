"""The ledger: the durable record behind Leadflow, on SQLite or PostgreSQL, as one small store per concern.

`Ledger` holds the engine, opens transactions for work recorded together (a drain's steps record through the
query modules inside one), and gives each concern its store: `signals` (webhook intake and the work it leaves),
`contacts` (assessed state and engagements), `handovers` (handovers, routing, transitions), `sla` (the SLA
watch's steps and clocks), `history` (a contact's score history and timeline), `quarantine` (events set aside for
their shape), `privacy` (erasure and retention), `kpis` (the lead-cycle facts of the KPI report), `nurture`
(the steps offered), `models` (the scoring model versions published), `backtests` (the backtests run).
Every store method is one transaction; callers pass and receive the plain records of `app.ledger.records` and the
rules' own types.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Select, delete, func, select

from app.ledger import (
    backtests,
    endings,
    erasure,
    handovers,
    history,
    intake,
    kpis,
    leads,
    model_versions,
    nurture,
    pending,
    sla,
    state,
)
from app.ledger import touches as touch_records
from app.ledger.models import ERASURES, QUARANTINE, ContactState, Engagement, QuarantinedEventRow, Signal
from app.ledger.nurture import NewOffer
from app.ledger.records import (
    AssessedContact,
    Backlog,
    ContactHistory,
    ContactStateRecord,
    DueStep,
    HandoverDone,
    HandoverRecord,
    HandoverRequest,
    Intake,
    IntakeResult,
    LedgerCounts,
    NewTouch,
    PendingSignal,
    Pruned,
    QuarantineRecord,
    Resolution,
    SlaClock,
    TouchRecord,
    TransitionRecord,
)
from app.rules.calibration.backtest_runs import BacktestRun
from app.rules.handover.leads import LeadStages
from app.rules.handover.types import RoutingState
from app.rules.kpis.facts import LeadCycle
from app.rules.nurture.facts import Offer, OfferRecord
from app.rules.scoring.engagement import EngagementEvent
from app.rules.scoring.versions import PublishedVersion
from app.rules.sla.policy import FirstTouch

DueQuery = Callable[[Connection, datetime, tuple[datetime, str] | None, int], list[tuple[str, datetime]]]


def _due_pages(engine: Engine, query: DueQuery, now: datetime, page_size: int) -> Iterator[list[str]]:
    """Yield the contact ids a clock job's due query finds, a page (and a connection) at a time, in (due, contact)
    order: keyset paging, so a page never re-reads the rows before it."""
    after: tuple[datetime, str] | None = None
    while True:
        with engine.connect() as connection:
            page = query(connection, now, after, page_size)
        if page:
            yield [contact_id for contact_id, _ in page]
            after = page[-1][1], page[-1][0]
        if len(page) < page_size:
            return


class _Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine


class SignalStore(_Store):
    """Received webhook events, and the work they leave: unprocessed signals, unresolved objects."""

    def record_intake(
        self, batch: Intake, received_at: datetime, first_touch: FirstTouch | None = None
    ) -> IntakeResult:
        """Store a webhook request's signals (duplicates skipped), touches, merges and privacy deletions."""
        with self.engine.begin() as connection:
            return intake.record_intake(connection, batch, received_at, first_touch)

    def watermark(self) -> int:
        """Return the id of the newest stored signal."""
        with self.engine.connect() as connection:
            return pending.watermark(connection)

    def backlog_of(self, contact_ids: Sequence[str], watermark: int) -> dict[str, Backlog]:
        """Return the unprocessed signals of these contacts up to `watermark` (count, oldest arrival), by contact."""
        with self.engine.connect() as connection:
            return pending.backlog_of(connection, contact_ids, watermark)

    def pending_object_signals(self, limit: int = 1000, after_id: int = 0) -> list[PendingSignal]:
        """Return unprocessed signals after `after_id` whose contacts are not yet known (companies, meetings)."""
        with self.engine.connect() as connection:
            return pending.pending_object_signals(connection, limit, after_id)

    def awaiting_recall_of(self, contact_ids: Sequence[str], watermark: int) -> list[PendingSignal]:
        """Return these contacts' changes, up to `watermark`, that wait for a recall of other properties."""
        with self.engine.connect() as connection:
            return pending.awaiting_recall_of(connection, contact_ids, watermark)

    def record_resolutions(
        self,
        resolutions: Sequence[Resolution],
        at: datetime,
        touches: Sequence[NewTouch] = (),
        first_touch: FirstTouch | None = None,
    ) -> None:
        """Attach resolved signals to their contacts and mark them processed; record the touches they are."""
        with self.engine.begin() as connection:
            pending.record_resolutions(connection, resolutions, at)
            if first_touch is not None and touches:
                touch_records.record_touches(connection, touches, first_touch)

    def contacts_with_pending_signals(self, received_before: datetime) -> list[str]:
        """Return contacts whose signals wait unprocessed since before `received_before`."""
        with self.engine.connect() as connection:
            return pending.contacts_with_pending_signals(connection, received_before)

    def count_pending_object_signals(self, received_before: datetime) -> int:
        """Return how many unresolved signals wait since before `received_before`."""
        with self.engine.connect() as connection:
            return pending.count_pending_object_signals(connection, received_before)


class ContactStore(_Store):
    """What Leadflow last assessed per contact, their engagements, and HubSpot's property types."""

    def states_of(self, contact_ids: Sequence[str]) -> dict[str, ContactStateRecord]:
        """Return the recorded state of these contacts."""
        with self.engine.connect() as connection:
            return state.states_of(connection, contact_ids)

    def engagements_of(self, contact_ids: Sequence[str]) -> dict[str, list[EngagementEvent]]:
        """Return the engagements of these contacts, by contact id."""
        with self.engine.connect() as connection:
            return state.engagements_of(connection, contact_ids)

    def record_assessed(self, assessed: Sequence[AssessedContact]) -> None:
        """Record assessments (outside a drain: a drain records through its steps in its own transaction)."""
        with self.engine.begin() as connection:
            state.record_assessed(connection, assessed)

    def due_for_change(self, now: datetime, page_size: int = state.DUE_PAGE) -> Iterator[list[str]]:
        """Yield, a page at a time, the contacts whose written values changed by time alone by `now`."""
        return _due_pages(self.engine, state.due_for_change, now, page_size)

    def pages(self, page_size: int = state.DUE_PAGE) -> Iterator[list[str]]:
        """Yield the ids of every contact the ledger holds (not deleted), a page (and a connection) at a time."""
        after: str | None = None
        while True:
            with self.engine.connect() as connection:
                page = state.contact_ids_after(connection, after, page_size)
            if page:
                yield page
                after = page[-1]
            if len(page) < page_size:
                return

    def contacts_at_companies(self, company_ids: Sequence[str]) -> dict[str, list[str]]:
        """Return the contacts last seen at these companies, by company id."""
        with self.engine.connect() as connection:
            return state.contacts_at_companies(connection, company_ids)

    def property_types(self) -> dict[str, str]:
        """Return HubSpot's recorded property types (`contact.name` → type)."""
        with self.engine.connect() as connection:
            return state.property_types(connection)

    def property_options(self) -> dict[str, frozenset[str]]:
        """Return the options recorded for Leadflow's own enumerations (`contact.name` → values)."""
        with self.engine.connect() as connection:
            return state.property_options(connection)

    def save_property_types(
        self, types: Mapping[str, str], at: datetime, options: Mapping[str, Collection[str]] | None = None
    ) -> None:
        """Replace the recorded HubSpot property types (and the options of Leadflow's own enumerations)."""
        with self.engine.begin() as connection:
            state.save_property_types(connection, types, at, options)


class HandoverStore(_Store):
    """Handovers per (contact, stage, cycle), routing's remembered state, and every change of stage."""

    def reserve(
        self, requests: Sequence[HandoverRequest], decide: handovers.Decide, at: datetime
    ) -> list[HandoverRecord]:
        """Return the handovers of `requests`; route (under the routing lock) and insert the new ones."""
        if not requests:
            return []
        with self.engine.begin() as connection:
            return handovers.reserve(connection, requests, decide, at)

    def routing_state(self) -> RoutingState:
        """Return routing's remembered state: cursors per pool and open handovers per owner."""
        with self.engine.connect() as connection:
            return handovers.snapshot(connection)

    def of_contacts(self, contact_ids: Sequence[str]) -> dict[str, list[HandoverRecord]]:
        """Return every handover of these contacts, oldest first."""
        with self.engine.connect() as connection:
            return handovers.of_contacts(connection, contact_ids)

    def complete(self, done: Sequence[HandoverDone], at: datetime) -> None:
        """Record what handovers created in HubSpot."""
        with self.engine.begin() as connection:
            handovers.complete(connection, done, at)

    def record_feedback(self, key: str, outcome: str, reason: str | None, at: datetime) -> None:
        """Record sales' first answer to a handover."""
        with self.engine.begin() as connection:
            handovers.record_feedback(connection, key, outcome, reason, at)

    def recycle(self, key: str, contact_id: str, at: datetime) -> int:
        """Close a rejected handover and start the contact's next qualification cycle; return its number."""
        with self.engine.begin() as connection:
            handovers.mark_recycled(connection, key, at)
            return state.start_new_cycle(connection, contact_id, at)

    def end(self, keys: Sequence[str], reason: str, at: datetime) -> None:
        """End these handovers (superseded, …); an ended handover frees its owner's slot."""
        with self.engine.begin() as connection:
            endings.end(connection, keys, reason, at)

    def end_of_contacts(self, contact_ids: Sequence[str], reason: str, at: datetime) -> None:
        """End every open handover of these contacts (deleted in HubSpot)."""
        with self.engine.begin() as connection:
            endings.end_of_contacts(connection, contact_ids, reason, at)

    def to_close(self, limit: int = endings.CLOSING_PAGE) -> list[HandoverRecord]:
        """Return ended handovers whose work in HubSpot is not closed yet, oldest end first."""
        with self.engine.connect() as connection:
            return endings.to_close(connection, limit)

    def record_feedback_issue(self, key: str, issue: str) -> None:
        """Note that a rejection came without a reason from the configured list."""
        with self.engine.begin() as connection:
            endings.record_feedback_issue(connection, key, issue)

    def record_late_reason(self, key: str, reason: str) -> None:
        """Record the reason of a flagged rejection, given later."""
        with self.engine.begin() as connection:
            endings.record_late_reason(connection, key, reason)

    def open_data_tasks(self, contact_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """Return the marketing-ops data tasks of these contacts not completed yet: key → (contact id, task id)."""
        with self.engine.connect() as connection:
            return endings.open_data_tasks(connection, contact_ids)

    def record_transitions(self, transitions: Sequence[TransitionRecord]) -> None:
        """Store stage changes."""
        with self.engine.begin() as connection:
            handovers.record_transitions(connection, transitions)

    def transitions_of(self, contact_id: str) -> list[TransitionRecord]:
        """Return a contact's stage changes, oldest first."""
        with self.engine.connect() as connection:
            return handovers.transitions_of(connection, contact_id)


class SlaStore(_Store):
    """The SLA watch's steps and clocks (see app/ledger/sla.py for the exactly-once protocol)."""

    def due_steps(self, now: datetime) -> list[DueStep]:
        """Return the steps due and not fired, oldest first."""
        with self.engine.connect() as connection:
            return sla.due_steps(connection, now)

    def claim(self, step_id: int, now: datetime, lease: timedelta) -> bool:
        """Claim a step (committed at once); False when it fired or another worker holds it."""
        with self.engine.begin() as connection:
            return sla.claim(connection, step_id, now, lease)

    def release(self, step_id: int) -> None:
        """Give a claimed step back for the next run."""
        with self.engine.begin() as connection:
            sla.release(connection, step_id)

    def clocks_to_write(self) -> list[SlaClock]:
        with self.engine.connect() as connection:
            return sla.clocks_to_write(connection)

    def open_clocks(self) -> list[SlaClock]:
        with self.engine.connect() as connection:
            return sla.open_clocks(connection)

    def all_clocks(self) -> list[SlaClock]:
        """Return every handover's clock, open or answered (`leadflow demo`'s report)."""
        with self.engine.connect() as connection:
            return sla.all_clocks(connection)

    def record_written(self, written: Mapping[str, str]) -> None:
        with self.engine.begin() as connection:
            sla.record_written(connection, written)

    def steps_of(self, keys: Sequence[str]) -> list[tuple[str, str, datetime | None, str | None]]:
        with self.engine.connect() as connection:
            return sla.steps_of(connection, keys)


class TouchStore(_Store):
    """Sales' touches of contacts, and the first touch of each handover they set (app/ledger/touches.py)."""

    def record(self, touches: Sequence[NewTouch], first_touch: FirstTouch) -> list[str]:
        """Record touches (each source once per contact) and judge their contacts anew; return those contacts."""
        with self.engine.begin() as connection:
            return touch_records.record_touches(connection, touches, first_touch)

    def learn_users(self, users: Mapping[str, str], first_touch: FirstTouch, now: datetime) -> list[str]:
        """Record the team's users (user id → owner id); judge anew the contacts touched by a user whose owner was
        unknown or changed; return those contacts."""
        with self.engine.begin() as connection:
            return touch_records.learn_users(connection, users, first_touch, now)

    def of_contacts(self, contact_ids: Sequence[str]) -> dict[str, list[TouchRecord]]:
        """Return these contacts' touches, oldest first, by contact id."""
        with self.engine.connect() as connection:
            return touch_records.touches_of(connection, contact_ids)

    def awaiting_first_touch(self, after: str, limit: int) -> list[tuple[str, datetime]]:
        """Return a page of contacts (ids after `after`) with an open, owned handover without a first touch, each
        with that handover's assignment (the earliest, when several)."""
        with self.engine.connect() as connection:
            return touch_records.awaiting_first_touch(connection, after, limit)


class HistoryStore(_Store):
    """A contact's score history and timeline, for KPIs, calibration and `leadflow history`."""

    def of(self, contact_id: str) -> ContactHistory:
        """Return a contact's state, score changes, transitions and handovers, oldest first."""
        with self.engine.connect() as connection:
            return history.history_of(connection, contact_id)


class QuarantineStore(_Store):
    """Events of accepted batches set aside for their shape; a replay records its signals through `signals`."""

    def entries(self, limit: int = 100) -> list[QuarantineRecord]:
        """Return the newest quarantined events, newest first."""
        return self._read(select(QUARANTINE).order_by(QUARANTINE.c.id.desc()).limit(limit))

    def of(self, ids: Sequence[int]) -> list[QuarantineRecord]:
        """Return these quarantined events (unknown ids are left out), oldest first."""
        return self._read(select(QUARANTINE).where(QUARANTINE.c.id.in_(ids)).order_by(QUARANTINE.c.id))

    def drop(self, ids: Sequence[int]) -> int:
        """Delete these quarantined events; return how many there were."""
        with self.engine.begin() as connection:
            return connection.execute(delete(QUARANTINE).where(QUARANTINE.c.id.in_(ids))).rowcount or 0

    def _read(self, statement: Select[Any]) -> list[QuarantineRecord]:
        with self.engine.connect() as connection:
            rows = connection.execute(statement).mappings()
            return [QuarantineRecord(**{name: row[name] for name in QUARANTINE_FIELDS}) for row in rows]


QUARANTINE_FIELDS = (
    "id", "received_at", "event", "reason", "portal_id", "subscription_type", "object_id", "replayed_at",
)  # fmt: skip


class PrivacyStore(_Store):
    """Erasure (privacy deletion, `leadflow forget`) and retention; only count-level records remain."""

    def forget(self, contact_ids: Sequence[str], reason: str, at: datetime) -> int:
        """Erase every row of these contacts; return the rows deleted."""
        with self.engine.begin() as connection:
            return erasure.erase_contacts(connection, contact_ids, reason, at)

    def prune(self, signals_before: datetime, deleted_before: datetime, at: datetime) -> Pruned:
        """Drop processed signals, quarantined events and score history older than `signals_before` and erase
        contacts HubSpot deleted before `deleted_before`."""
        with self.engine.begin() as connection:
            signals = erasure.prune_signals(connection, signals_before)
            quarantined = erasure.prune_quarantine(connection, signals_before)
            score_changes = erasure.prune_score_changes(connection, signals_before)
            gone = erasure.contacts_deleted_before(connection, deleted_before)
            erasure.erase_contacts(connection, gone, "retention", at)
            return Pruned(signals, len(gone), quarantined, score_changes)

    def orphaned_tasks(self, limit: int) -> dict[str, str]:
        """Return a page of erased contacts' open tasks to complete: task id → the closing note's reason."""
        with self.engine.connect() as connection:
            return erasure.orphaned_tasks(connection, limit)

    def forget_orphaned_tasks(self, task_ids: Sequence[str]) -> None:
        """Drop these tasks from the queue of tasks to complete."""
        with self.engine.begin() as connection:
            erasure.forget_orphaned_tasks(connection, task_ids)

    def erasures(self) -> list[tuple[datetime, str, int, int]]:
        """Return the count-level erasure records: (at, reason, contacts, rows)."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(ERASURES.c.at, ERASURES.c.reason, ERASURES.c.contacts, ERASURES.c.rows))
            return [(at, reason, contacts, count) for at, reason, contacts, count in rows]


class NurtureStore(_Store):
    """Nurture steps offered, once per contact and step (app/ledger/nurture.py)."""

    def record_offers(self, offers: Sequence[NewOffer]) -> list[tuple[str, str]]:
        """Record the offers not recorded before; return (contact, step) of those recorded now."""
        with self.engine.begin() as connection:
            return nurture.record_offers(connection, offers)

    def record_completed(self, completed: Sequence[tuple[str, str, datetime]]) -> None:
        """Note when contacts completed steps: (contact, step, when)."""
        with self.engine.begin() as connection:
            nurture.record_completed(connection, completed)

    def record_converted(self, contact_ids: Sequence[str], at: datetime) -> None:
        """Note that these contacts became MQLs: the steps offered to them before converted."""
        with self.engine.begin() as connection:
            nurture.record_converted(connection, contact_ids, at)

    def offers_of(self, contact_ids: Sequence[str]) -> dict[str, list[Offer]]:
        """Return these contacts' offered steps, oldest first."""
        with self.engine.connect() as connection:
            return nurture.offers_of(connection, contact_ids)

    def standings_of(self, contact_ids: Sequence[str]) -> dict[str, nurture.NurtureStanding]:
        """Return these contacts' nurture standings after their last plan."""
        with self.engine.connect() as connection:
            return nurture.standings_of(connection, contact_ids)

    def count_standings(self, now: datetime) -> dict[str, int]:
        """Return the contacts in each nurture state, and the waiting steps due by `now` (`due`)."""
        with self.engine.connect() as connection:
            return nurture.count_standings(connection, now)

    def enrolled(self, handover_keys: Sequence[str]) -> set[str]:
        """Return which of these handovers have their contact's sales-sequence enrollment recorded."""
        with self.engine.connect() as connection:
            return nurture.enrolled(connection, handover_keys)

    def record_enrollment(self, enrollment: nurture.NewEnrollment) -> bool:
        """Record a handover's sales-sequence enrollment at once (it happened in HubSpot); return whether this call
        recorded it (False: recorded before)."""
        with self.engine.begin() as connection:
            return nurture.record_enrollment(connection, enrollment)

    def due_for_offer(self, now: datetime, page_size: int = nurture.DUE_PAGE) -> Iterator[list[str]]:
        """Yield, a page at a time, the contacts whose waiting nurture step is due by `now`."""
        return _due_pages(self.engine, nurture.due_for_offer, now, page_size)

    def records(self, offered_before: datetime | None = None) -> list[OfferRecord]:
        """Return every offer recorded (made before `offered_before`, when given), oldest first."""
        with self.engine.connect() as connection:
            return nurture.offer_records(connection, offered_before)


class KpiStore(_Store):
    """What the lead-cycle facts of the KPI report (docs/kpis.md) are built from: transitions, handovers, the
    backfilled cycles (the rules build the facts: app/rules/kpis/cycles.py `facts_of`)."""

    def rows(self) -> kpis.KpiRows:
        """Return every row the facts are built from, read in one transaction."""
        with self.engine.connect() as connection, connection.begin():
            backfilled = kpis.backfilled(connection)
            return kpis.KpiRows(
                kpis.contact_facts(connection),
                kpis.stage_entries(connection),
                kpis.handover_facts(connection),
                backfilled,
                kpis.first_seen(connection) if backfilled else {},
            )

    def record_backfill(self, facts: Sequence[LeadCycle], at: datetime) -> None:
        """Replace the cycles backfilled from HubSpot's histories with these."""
        with self.engine.begin() as connection:
            kpis.replace_backfilled(connection, facts, at)


class ModelVersionStore(_Store):
    """The scoring model versions published (app/ledger/model_versions.py)."""

    def record(self, published: PublishedVersion) -> bool:
        """Record a version; False when its name was recorded before (by a concurrent publisher)."""
        with self.engine.begin() as connection:
            return model_versions.record_version(connection, published)

    def record_rescore_run(self, version: str, run_id: str) -> None:
        """Note the re-score run a version's publishing started."""
        with self.engine.begin() as connection:
            model_versions.record_rescore_run(connection, version, run_id)

    def published(self) -> list[PublishedVersion]:
        """Return every published version, oldest first."""
        with self.engine.connect() as connection:
            return model_versions.published_versions(connection)


class BacktestStore(_Store):
    """The backtests run, the newest kept (app/ledger/backtests.py)."""

    def record(self, run: BacktestRun) -> int:
        """Record a run (dropping the oldest beyond those kept); return its id."""
        with self.engine.begin() as connection:
            return backtests.record_backtest(connection, run)

    def latest(self) -> BacktestRun | None:
        """Return the newest run, or None before the first."""
        with self.engine.connect() as connection:
            return backtests.latest_backtest(connection)

    def runs(self, candidates: Collection[str] | None = None) -> list[BacktestRun]:
        """Return the runs kept, newest first (only those of these candidate models when given)."""
        with self.engine.connect() as connection:
            return backtests.backtests(connection, candidates)


class LeadStore(_Store):
    """The portal's lead pipeline as setup resolved it (app/ledger/leads.py)."""

    def save_stages(self, stages: LeadStages | None, at: datetime) -> None:
        """Record the lead pipeline setup resolved (None: the portal has no Leads for Leadflow)."""
        with self.engine.begin() as connection:
            leads.save_lead_stages(connection, stages, at)

    def stages(self) -> LeadStages | None:
        """Return the recorded lead pipeline, or None: handovers make no Lead."""
        with self.engine.connect() as connection:
            return leads.lead_stages(connection)


class Ledger:
    """The ledger's engine and its stores."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.signals = SignalStore(engine)
        self.contacts = ContactStore(engine)
        self.handovers = HandoverStore(engine)
        self.sla = SlaStore(engine)
        self.history = HistoryStore(engine)
        self.touches = TouchStore(engine)
        self.quarantine = QuarantineStore(engine)
        self.privacy = PrivacyStore(engine)
        self.kpis = KpiStore(engine)
        self.nurture = NurtureStore(engine)
        self.models = ModelVersionStore(engine)
        self.backtests = BacktestStore(engine)
        self.leads = LeadStore(engine)

    def transaction(self) -> AbstractContextManager[Connection]:
        """Return one transaction, for work recorded together (a drain's steps); committed when the block ends."""
        return self.engine.begin()

    def counts(self) -> LedgerCounts:
        """Return row counts for status reports."""
        with self.engine.connect() as connection:
            by_kind = dict(connection.execute(select(Signal.kind, func.count()).group_by(Signal.kind)).all())
            return LedgerCounts(
                signals=sum(by_kind.values()),
                pending_signals=_count(connection, select(func.count()).where(Signal.processed_at.is_(None))),
                engagements=_count(connection, select(func.count()).select_from(Engagement)),
                contacts=_count(connection, select(func.count()).select_from(ContactState)),
                by_kind=by_kind,
                quarantined=_count(connection, select(func.count()).where(QuarantinedEventRow.replayed_at.is_(None))),
            )


def _count(connection: Connection, statement: Select[Any]) -> int:
    return int(connection.execute(statement).scalar_one())
