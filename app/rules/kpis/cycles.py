"""Lead-cycle facts (docs/kpis.md) from what the ledger recorded: each contact's stage transitions and handovers,
per qualification cycle. Pure: the ledger hands over plain rows (app/ledger/kpis.py), this builds the facts.

Never from HubSpot's "became a … date" properties, which HubSpot clears when a stage moves backwards. How each fact
is read (docs/kpis.md, "Facts from the ledger"):

- `created_at`: cycle 1, HubSpot's `createdate` of the contact; a later cycle, when the rejection that recycled the
  lead ended the previous cycle's handover (else the cycle's first transition).
- `mql_at`, `sql_at`, `grade_at_mql`, `score_at_mql` (and `model_at_mql`, beyond the contract): the cycle's first
  transition into `mql` or a stage ranked above it, and into `sql`; the grade, score and model of the first.
- `qualified_signal_at`: when the buyer acted (`signal_at`) in the transition that first entered the stage of the
  cycle's first handover.
- `handed_over_at`, `owner`, `due_at`: the cycle's first handover carried out (`done_at`), its first owner (before
  any reassignment) and its first deadline.
- `first_touch_at`: the earliest first touch of the cycle's handovers (each counted from its own assignment).
- `accepted_at` / `rejected_at`, `rejection_reason`: sales' latest answer in the cycle.
- `deal_created_at`: when the cycle's first handover with a deal was carried out; `won_at` / `lost_at`: the
  latest deal outcome of the cycle.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from app.rules.kpis.backfill import join_backfill
from app.rules.kpis.facts import LeadCycle, in_utc, utc_or_none
from app.rules.sla.reassignment import handover_owners

MQL, SQL = "mql", "sql"


@dataclass(frozen=True)
class StageEntry:
    """A transition the ledger recorded: the contact entered `stage` (None: no stage) at `at` in `cycle`."""

    contact_id: str
    cycle: int
    stage: str | None
    at: datetime
    grade: str | None = None
    score: int | None = None
    signal_at: datetime | None = None
    model: str | None = None


@dataclass(frozen=True)
class HandoverFacts:
    """What the KPIs read of one handover (app/ledger/kpis.py)."""

    contact_id: str
    cycle: int
    stage: str
    done_at: datetime | None
    owner_id: str | None
    earlier_owners: str | None = None
    first_due_at: datetime | None = None
    first_touch_at: datetime | None = None
    outcome: str | None = None  # accepted, rejected
    outcome_reason: str | None = None
    outcome_at: datetime | None = None
    deal_id: str | None = None
    deal_outcome: str | None = None  # won, lost
    deal_outcome_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None

    @property
    def first_owner(self) -> str | None:
        """The owner it was handed over to (a reassignment keeps the earlier owners, the first first)."""
        owners = handover_owners(self.earlier_owners, self.owner_id)
        return owners[0] if owners else None


_When: TypeAlias = Callable[[HandoverFacts], datetime | None]


@dataclass(frozen=True)
class ContactFacts:
    """A contact the ledger knows: when HubSpot created it and how many qualification cycles it has begun."""

    contact_id: str
    created_at: datetime | None
    cycles: int = 1


def lead_cycles(
    contacts: Iterable[ContactFacts],
    entries: Iterable[StageEntry],
    handovers: Iterable[HandoverFacts],
    qualified_stages: Collection[str] = (MQL, SQL),
) -> list[LeadCycle]:
    """Return the facts of every lead cycle, by contact id then cycle. `qualified_stages`: `mql` and the stages
    ranked above it in the scoring model (a contact entering one of them has entered `mql`)."""
    by_cycle: dict[tuple[str, int], list[StageEntry]] = defaultdict(list)
    for entry in sorted(entries, key=lambda e: in_utc(e.at)):
        by_cycle[(entry.contact_id, entry.cycle)].append(entry)
    handed: dict[tuple[str, int], list[HandoverFacts]] = defaultdict(list)
    for handover in handovers:
        handed[(handover.contact_id, handover.cycle)].append(handover)
    keys = {(c.contact_id, n) for c in contacts for n in range(1, max(c.cycles, 1) + 1)} | set(by_cycle) | set(handed)
    created = {c.contact_id: c.created_at for c in contacts}
    qualified = frozenset(qualified_stages)
    return [
        _cycle(contact, cycle, created, by_cycle[(contact, cycle)], handed, qualified)
        if (contact, cycle) in by_cycle or (contact, cycle) in handed or cycle > 1
        # A fast path for the many contacts with nothing recorded: what `_cycle` would build for them.
        else LeadCycle(contact=contact, cycle=cycle, created_at=utc_or_none(created.get(contact)))
        for contact, cycle in sorted(keys, key=lambda key: (_id_order(key[0]), key[1]))
    ]


def _cycle(
    contact: str,
    cycle: int,
    created: Mapping[str, datetime | None],
    entries: Sequence[StageEntry],
    handed: Mapping[tuple[str, int], list[HandoverFacts]],
    qualified: frozenset[str],
) -> LeadCycle:
    handovers = handed.get((contact, cycle), [])
    mql = next((e for e in entries if e.stage in qualified), None)
    sql = next((e for e in entries if e.stage == SQL), None)
    first = _earliest(handovers, lambda h: h.done_at)
    answer = _latest(handovers, lambda h: h.outcome_at if h.outcome in ("accepted", "rejected") else None)
    deal = _earliest(handovers, lambda h: h.done_at if h.deal_id else None)
    closed = _latest(handovers, lambda h: h.deal_outcome_at if h.deal_outcome in ("won", "lost") else None)
    touches = [h.first_touch_at for h in handovers if h.first_touch_at is not None]
    return LeadCycle(
        contact=contact,
        cycle=cycle,
        created_at=utc_or_none(_created_at(contact, cycle, created, entries, handed)),
        qualified_signal_at=utc_or_none(_qualified_signal(entries, first, qualified)),
        mql_at=utc_or_none(mql.at if mql else None),
        sql_at=utc_or_none(sql.at if sql else None),
        grade_at_mql=mql.grade if mql else None,
        score_at_mql=mql.score if mql else None,
        model_at_mql=mql.model if mql else None,
        handed_over_at=utc_or_none(first.done_at if first else None),
        owner=first.first_owner if first else None,
        due_at=utc_or_none(first.first_due_at if first else None),
        first_touch_at=utc_or_none(min(touches, key=in_utc) if touches else None),
        accepted_at=utc_or_none(answer.outcome_at if answer and answer.outcome == "accepted" else None),
        rejected_at=utc_or_none(answer.outcome_at if answer and answer.outcome == "rejected" else None),
        rejection_reason=answer.outcome_reason if answer and answer.outcome == "rejected" else None,
        deal_created_at=utc_or_none(deal.done_at if deal else None),
        won_at=utc_or_none(closed.deal_outcome_at if closed and closed.deal_outcome == "won" else None),
        lost_at=utc_or_none(closed.deal_outcome_at if closed and closed.deal_outcome == "lost" else None),
    )


def _created_at(
    contact: str,
    cycle: int,
    created: Mapping[str, datetime | None],
    entries: Sequence[StageEntry],
    handed: Mapping[tuple[str, int], list[HandoverFacts]],
) -> datetime | None:
    if cycle == 1:
        return created.get(contact)
    recycled = [
        h.ended_at
        for h in handed.get((contact, cycle - 1), [])
        if h.end_reason == "rejected" and h.ended_at is not None
    ]
    if recycled:
        return max(recycled, key=in_utc)
    return entries[0].at if entries else None


def _qualified_signal(
    entries: Sequence[StageEntry], first: HandoverFacts | None, qualified: frozenset[str]
) -> datetime | None:
    """The buyer's action that made the cycle enter its first handover's stage (else its first qualified one)."""
    stage = first.stage if first else None
    entered = next((e for e in entries if e.stage == stage), None) if stage else None
    entered = entered or next((e for e in entries if e.stage in qualified), None)
    return entered.signal_at if entered else None


def _earliest(handovers: Sequence[HandoverFacts], when: _When) -> HandoverFacts | None:
    timed = [(moment, h) for h in handovers if (moment := when(h)) is not None]
    return min(timed, key=lambda pair: in_utc(pair[0]))[1] if timed else None


def _latest(handovers: Sequence[HandoverFacts], when: _When) -> HandoverFacts | None:
    timed = [(moment, h) for h in handovers if (moment := when(h)) is not None]
    return max(timed, key=lambda pair: in_utc(pair[0]))[1] if timed else None


def _id_order(contact_id: str) -> tuple[int, str]:
    """HubSpot ids are numbers: 9 before 10; anything else after them, by text."""
    return (int(contact_id), "") if contact_id.isdigit() else (1 << 62, contact_id)


def facts_of(
    contacts: Iterable[ContactFacts],
    entries: Iterable[StageEntry],
    handovers: Iterable[HandoverFacts],
    backfilled: Sequence[LeadCycle] = (),
    first_seen: Mapping[str, datetime] | None = None,
    qualified_stages: Collection[str] = (MQL, SQL),
) -> list[LeadCycle]:
    """Return the KPI facts of the ledger's rows: its own lead cycles, joined with those backfilled from HubSpot's
    histories (app/rules/kpis/backfill.py) when there are any."""
    ledger = lead_cycles(contacts, entries, handovers, qualified_stages)
    return join_backfill(ledger, backfilled, first_seen or {}) if backfilled else ledger
