"""The ledger's tables: the durable record of every signal and of every assessment written."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, MetaData, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.ledger.types import Identity64, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Signal(Base):
    """One received event, stored before it is acknowledged; `processed_at` is set once it is reflected."""

    __tablename__ = "signals"

    id: Mapped[int] = mapped_column(Identity64, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(32))
    subscription_type: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(32))
    contact_id: Mapped[str | None] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_signals_pending", "processed_at", "received_at"),
        Index("ix_signals_contact", "contact_id", "id"),
    )


class Engagement(Base):
    """A canonical engagement event (`demo_request`, …) derived from a signal; the model counts these."""

    __tablename__ = "engagements"

    id: Mapped[int] = mapped_column(Identity64, primary_key=True, autoincrement=True)
    contact_id: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source_key: Mapped[str] = mapped_column(String(96))
    signal_id: Mapped[int | None] = mapped_column(Identity64, ForeignKey("signals.id", ondelete="SET NULL"))

    __table_args__ = (
        UniqueConstraint("contact_id", "type", "source_key", name="uq_engagements_occurrence"),
        Index("ix_engagements_contact", "contact_id", "occurred_at"),
    )


class ContactState(Base):
    """The last assessment of a contact and the values Leadflow wrote for it."""

    __tablename__ = "contact_state"

    contact_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str | None] = mapped_column(String(32), index=True)
    fit: Mapped[int] = mapped_column(Integer)
    engagement: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str | None] = mapped_column(String(64))
    reasons: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(128))
    qualification_cycle: Mapped[int] = mapped_column(Integer, default=1)
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    recycled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_change_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when time alone changes its values
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # HubSpot's `createdate` (KPIs' lead cohort)

    # The decay sweep reads the due contacts in (next_change_at, contact_id) order, page by page.
    __table_args__ = (Index("ix_contact_state_next_change", "next_change_at", "contact_id"),)


class PropertyType(Base):
    """HubSpot's type of a property the scoring model reads, refreshed by `leadflow setup`."""

    __tablename__ = "property_types"

    object_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Leadflow's own enumerations (nurture's track and step): the options HubSpot holds, one per line.
    options: Mapped[str | None] = mapped_column(Text)


SIGNALS = cast(Table, Signal.__table__)
ENGAGEMENTS = cast(Table, Engagement.__table__)
CONTACT_STATE = cast(Table, ContactState.__table__)
PROPERTY_TYPES = cast(Table, PropertyType.__table__)


class Transition(Base):
    """A change of a contact's stage, in its qualification cycle."""

    __tablename__ = "transitions"

    id: Mapped[int] = mapped_column(Identity64, primary_key=True, autoincrement=True)
    contact_id: Mapped[str] = mapped_column(String(32))
    from_stage: Mapped[str | None] = mapped_column(String(64))
    to_stage: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    cycle: Mapped[int] = mapped_column(Integer)
    model: Mapped[str] = mapped_column(String(128))
    # The assessment that caused it, why the drain assessed the contact, and when the buyer acted (null: no signal
    # of the contact's own; rows older than migration 0006: all null). See app/sync/scoring/history.py.
    fit: Mapped[int | None] = mapped_column(Integer)
    engagement: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[str | None] = mapped_column(String(16))
    cause: Mapped[str | None] = mapped_column(String(16))
    signal_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_transitions_contact", "contact_id", "at"),)


class ScoreChange(Base):
    """A change of a contact's scores that Leadflow wrote to HubSpot: the compact score history."""

    __tablename__ = "score_changes"

    id: Mapped[int] = mapped_column(Identity64, primary_key=True, autoincrement=True)
    contact_id: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    fit: Mapped[int] = mapped_column(Integer)
    engagement: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str | None] = mapped_column(String(64))
    reasons: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(128))
    cycle: Mapped[int] = mapped_column(Integer)
    cause: Mapped[str] = mapped_column(String(16))
    signal_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_score_changes_contact", "contact_id", "at"), Index("ix_score_changes_at", "at"))


class Handover(Base):
    """One handover of a contact in a stage and cycle: at most one, whatever retries and workers do."""

    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(Identity64, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    contact_id: Mapped[str] = mapped_column(String(32))
    stage: Mapped[str] = mapped_column(String(64))
    cycle: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[str | None] = mapped_column(String(32), index=True)
    routing_strategy: Mapped[str] = mapped_column(String(64))
    routing_reason: Mapped[str] = mapped_column(Text)
    task_id: Mapped[str | None] = mapped_column(String(32), index=True)
    deal_id: Mapped[str | None] = mapped_column(String(32), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the first owner's deadline (KPIs' SLA met)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    task_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_reason: Mapped[str | None] = mapped_column(String(128))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deal_outcome: Mapped[str | None] = mapped_column(String(16))
    deal_outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    first_touch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the SLA's first touch (docs/sla.md)
    first_touch_kind: Mapped[str | None] = mapped_column(String(32))  # call, email, meeting, task, lead_status, deal
    first_touch_by: Mapped[str | None] = mapped_column(String(32))  # the HubSpot owner who touched the lead
    # The SLA clock (migration 0009, docs/sla.md): the target, when the current owner's clock started, its due time,
    # how often and why it was reassigned, its earlier owners (comma-separated ids), what was last written.
    sla_target: Mapped[str | None] = mapped_column(String(64))
    sla_clock_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reassignments: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    earlier_owners: Mapped[str | None] = mapped_column(Text)
    reassigned_reason: Mapped[str | None] = mapped_column(Text)
    sla_written: Mapped[str | None] = mapped_column(String(96))  # status|due|touch as last written to the contact
    # The end of the handover (docs/handover.md#when-a-handover-ends): when, why (rejected, superseded, won, lost,
    # deleted, merged), and when Leadflow closed what it created in HubSpot for it (null: still to close).
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(16))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feedback_issue: Mapped[str | None] = mapped_column(String(16))  # a rejection's reason: missing, unknown, late
    lead_id: Mapped[str | None] = mapped_column(String(32), index=True)  # the cycle's HubSpot Lead (migration 0021)
    lead_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # sales last moved it: the drain reads it

    __table_args__ = (
        UniqueConstraint("contact_id", "stage", "cycle", name="uq_handovers_contact_stage_cycle"),
        Index("ix_handovers_contact", "contact_id", "cycle"),
        Index("ix_handovers_closing", "closed_at", "ended_at"),
    )


class RoutingCursor(Base):
    """How many slots a round-robin pool has handed out; the row `__lock__` serialises routing decisions."""

    __tablename__ = "routing_cursors"

    pool: Mapped[str] = mapped_column(String(128), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


TRANSITIONS = cast(Table, Transition.__table__)
SCORE_CHANGES = cast(Table, ScoreChange.__table__)
# A contact's history, rows keyed by contact_id alone: a merge gives them to the survivor, an erasure deletes them.
CONTACT_HISTORY: tuple[Table, ...] = (TRANSITIONS, SCORE_CHANGES)
HANDOVERS = cast(Table, Handover.__table__)
ROUTING_CURSORS = cast(Table, RoutingCursor.__table__)


class Erasure(Base):
    """A count-level record that a contact's data was erased: when, why and how many rows, never whose."""

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(Identity64, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(32))
    contacts: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)


ERASURES = cast(Table, Erasure.__table__)


class QuarantinedEventRow(Base):
    """An event of an accepted batch that had the wrong shape: kept with its reason until replayed or dropped."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Identity64, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    portal_id: Mapped[str | None] = mapped_column(String(32))
    subscription_type: Mapped[str | None] = mapped_column(String(128))
    object_id: Mapped[str | None] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(Text)
    event: Mapped[str] = mapped_column(Text)
    replayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


QUARANTINE = cast(Table, QuarantinedEventRow.__table__)


class SlaStep(Base):
    """One step of a handover's SLA clock (`reminder:50`, `escalation`, `reassignment:1`): claimed, then fired once."""

    __tablename__ = "sla_steps"

    id: Mapped[int] = mapped_column(Identity64, primary_key=True, autoincrement=True)
    handover_key: Mapped[str] = mapped_column(String(128))
    step: Mapped[str] = mapped_column(String(48))
    owner_id: Mapped[str | None] = mapped_column(String(32))  # the owner whose clock it is (reassignment: the new)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detail: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("handover_key", "step", name="uq_sla_steps_handover_step"),
        Index("ix_sla_steps_due", "fired_at", "due_at"),
    )


SLA_STEPS = cast(Table, SlaStep.__table__)


class SalesTouch(Base):
    """A touch of a contact by sales (a call, a sales e-mail, a meeting, the handover task completed, a lead status
    or deal stage change, or HubSpot's own first-engagement date), and whether it counted as a handover's first
    touch (app/rules/sla/first_touch.py). Recorded once per source and contact, whoever made it."""

    __tablename__ = "touches"

    id: Mapped[int] = mapped_column(Identity64, primary_key=True, autoincrement=True)
    contact_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # call, email, meeting, task, lead_status, deal_stage, reconciled
    owner_id: Mapped[str | None] = mapped_column(String(32))  # who touched (None: HubSpot does not tell)
    user_id: Mapped[str | None] = mapped_column(String(32))  # the HubSpot user who touched, where HubSpot names one
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    source_key: Mapped[str] = mapped_column(String(128))  # `call:123`, `task:456`, …
    handover_key: Mapped[str | None] = mapped_column(String(128))  # the handover open at the touch (None: none)
    counted: Mapped[bool] = mapped_column(Boolean, default=False)  # whether it stopped that handover's clock

    # A meeting with two contacts touches both: one row per source and contact.
    __table_args__ = (
        UniqueConstraint("source_key", "contact_id", name="uq_touches_source"),
        Index("ix_touches_contact", "contact_id", "at"),
        Index("ix_touches_user", "user_id"),
    )


TOUCHES = cast(Table, SalesTouch.__table__)
# Touches are contact history too (merges re-key them, erasures delete them).
CONTACT_HISTORY = (*CONTACT_HISTORY, TOUCHES)


class BackfilledCycle(Base):
    """A lead cycle read from HubSpot's property histories for the time before Leadflow (`leadflow kpis
    --backfill`): the fact as one JSON object (docs/kpis.md), replaced by each backfill."""

    __tablename__ = "backfilled_cycles"

    id: Mapped[int] = mapped_column(Identity64, primary_key=True, autoincrement=True)
    contact_id: Mapped[str] = mapped_column(String(32), index=True)
    cycle: Mapped[int] = mapped_column(Integer)
    fact: Mapped[str] = mapped_column(Text)
    backfilled_at: Mapped[datetime] = mapped_column(UTCDateTime)


BACKFILLED_CYCLES = cast(Table, BackfilledCycle.__table__)
# Contact history too: merges re-key them, erasures delete them.
CONTACT_HISTORY = (*CONTACT_HISTORY, BACKFILLED_CYCLES)


class SalesUser(Base):
    """A HubSpot user of the sales team and the owner it is (owners API `userId`), as last read from HubSpot: the
    author of the touches HubSpot's webhooks attribute to a user (`sourceId` `userId:<id>`)."""

    __tablename__ = "sales_users"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(32))
    learned_at: Mapped[datetime] = mapped_column(UTCDateTime)


SALES_USERS = cast(Table, SalesUser.__table__)


class DataTask(Base):
    """The marketing-ops task of a blocked handover (`<handover key>-data`), completed when the data arrived."""

    __tablename__ = "handover_data_tasks"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(32), index=True)
    task_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


DATA_TASKS = cast(Table, DataTask.__table__)


class OrphanedTask(Base):
    """An open task Leadflow created for a contact a privacy deletion erased: kept by its HubSpot id only (never
    whose it was) until the `close-work` job has completed it (app/sync/handover/orphans.py)."""

    __tablename__ = "orphaned_tasks"

    task_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    reason: Mapped[str] = mapped_column(String(16))  # `deleted`: the closing note's reason
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)


ORPHANED_TASKS = cast(Table, OrphanedTask.__table__)


class NurtureStep(Base):
    """A nurture step offered to a contact, once: when, and when the contact completed it and became an MQL after
    it (docs/nurture.md). Contact history: merges re-key it (a step both contacts had is kept once), erasures
    delete it."""

    __tablename__ = "nurture_steps"

    id: Mapped[int] = mapped_column(Identity64, primary_key=True, autoincrement=True)
    contact_id: Mapped[str] = mapped_column(String(32))
    track: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(128))
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("contact_id", "step", name="uq_nurture_steps_offer"),)


NURTURE_STEPS = cast(Table, NurtureStep.__table__)
CONTACT_HISTORY = (*CONTACT_HISTORY, NURTURE_STEPS)


class NurtureContact(Base):
    """Where a contact stands in nurture after its last plan (docs/nurture.md): its state, track and next step, and
    `due_at`, when a waiting step's time comes (the `nurture-due` clock job reads the due contacts by its index).
    Derived state: a merge drops the merged contacts' rows (the survivor is planned again), an erasure deletes it."""

    __tablename__ = "nurture_contacts"

    contact_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))  # active, waiting, paused, exhausted, suppressed, none
    track: Mapped[str | None] = mapped_column(String(64))
    step: Mapped[str | None] = mapped_column(String(128))  # the next step (waiting) or the one offered (active)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_nurture_contacts_due", "due_at", "contact_id"),)


NURTURE_CONTACTS = cast(Table, NurtureContact.__table__)


class NurtureEnrollment(Base):
    """A handed-over contact enrolled in nurture's sales sequence (docs/nurture.md), once per handover: the
    enrollment HubSpot made. Contact history: merges re-key it, erasures delete it."""

    __tablename__ = "nurture_enrollments"

    handover_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(32))
    sequence_id: Mapped[str] = mapped_column(String(32))
    enrollment_id: Mapped[str] = mapped_column(String(32))
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime)


NURTURE_ENROLLMENTS = cast(Table, NurtureEnrollment.__table__)
CONTACT_HISTORY = (*CONTACT_HISTORY, NURTURE_ENROLLMENTS)


class ModelVersion(Base):
    """A scoring model version published (`leadflow model publish`, docs/scoring-model.md): its name (unique), the
    sha256 of its canonical content, the file's text, the unified diff against the version published before it,
    where it was published from and the re-score run it started (None: none was started)."""

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(String(128), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    diff: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(1024))
    rescore_run: Mapped[str | None] = mapped_column(String(64))


MODEL_VERSIONS = cast(Table, ModelVersion.__table__)


class BacktestRow(Base):
    """A backtest run (`leadflow backtest`, docs/calibration.md "Recorded"): when and by whom it ran, its window and
    horizon, the two models (the candidate's file and content hash), the headline figures the dashboard lists, the
    verdict, and the printed JSON object with its per-contact lists cut to their first entries."""

    __tablename__ = "backtests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ran_by: Mapped[str | None] = mapped_column(String(256))
    window_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_to: Mapped[datetime] = mapped_column(UTCDateTime)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    mature_days: Mapped[int] = mapped_column(Integer)
    current_model: Mapped[str] = mapped_column(String(128))
    candidate_model: Mapped[str] = mapped_column(String(128), index=True)
    candidate_path: Mapped[str] = mapped_column(String(1024))
    candidate_hash: Mapped[str] = mapped_column(String(64))
    contacts: Mapped[int] = mapped_column(Integer)
    current_mqls: Mapped[int] = mapped_column(Integer)
    candidate_mqls: Mapped[int] = mapped_column(Integer)
    current_sqls: Mapped[int] = mapped_column(Integer)
    candidate_sqls: Mapped[int] = mapped_column(Integer)
    verdict: Mapped[str] = mapped_column(String(16))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


BACKTESTS = cast(Table, BacktestRow.__table__)


class LeadStageRow(Base):
    """A stage of the portal's lead pipeline as `leadflow setup` resolved handover.yaml's `leads` against it:
    what it means to Leadflow (first_touch, accepted, rejected, open). No rows: the portal has no Leads, or setup
    has not looked; handovers then make no Lead (migration 0021)."""

    __tablename__ = "lead_stages"

    stage_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pipeline_id: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(256))
    meaning: Mapped[str] = mapped_column(String(16))
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)


LEAD_STAGES = cast(Table, LeadStageRow.__table__)
