"""Lead cycles from HubSpot's property histories, for the time before Leadflow (`leadflow kpis --backfill`), and
how they join the ledger's own facts. Pure: app/sync/kpis/backfill.py reads the histories.

What a contact's history tells (docs/kpis.md, "Backfill"):
- `lifecyclestage`: `mql_at` when it first took `marketingqualifiedlead` or a later stage, `sql_at` when it first took
  `salesqualifiedlead` or a later one (opportunity, customer, evangelist);
- `hs_lead_status`: sales' answer after `mql_at` (handover.yaml's accepted and rejected values; a rejected value is
  its own reason); a rejection ends the cycle, and the next entry into MQL begins the next, at the rejection;
- `hubspot_owner_id`: `handed_over_at` and `owner`, the first owner set at or after `mql_at`;
- the contact's deals: `deal_created_at`, the first created at or after `mql_at`; `won_at` / `lost_at`, when its
  `dealstage` first took a closed-won or closed-lost stage.
HubSpot keeps no record of the rest: `qualified_signal_at`, `grade_at_mql`, `score_at_mql`, `due_at` and
`first_touch_at` stay empty (`UNRECONSTRUCTED`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from app.rules.kpis.facts import KEYS, LeadCycle, in_utc, utc_or_none

MQL_OR_LATER = frozenset({"marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer", "evangelist"})
SQL_OR_LATER = frozenset({"salesqualifiedlead", "opportunity", "customer", "evangelist"})
UNRECONSTRUCTED = ("qualified_signal_at", "grade_at_mql", "score_at_mql", "due_at", "first_touch_at")

Changes = Sequence[tuple[datetime, str | None]]  # (when, the value it took), oldest first


@dataclass(frozen=True)
class DealHistory:
    """One deal of the contact: when it was created and its stage's changes."""

    created_at: datetime
    stages: Changes


@dataclass(frozen=True)
class ContactHistory:
    """What HubSpot kept of one contact."""

    contact_id: str
    created_at: datetime | None
    lifecycle: Changes
    lead_status: Changes
    owners: Changes
    deals: Sequence[DealHistory] = ()


@dataclass(frozen=True)
class Answers:
    """Lead statuses that are sales' answers (handover.yaml `feedback`); deal stages that close (stage → won, lost)."""

    accepted: Collection[str]
    rejected: Collection[str]
    deal_outcomes: Mapping[str, str]


def backfilled_cycles(history: ContactHistory, answers: Answers) -> list[LeadCycle]:
    """Return the lead cycles HubSpot's history shows for one contact (none if it never reached MQL)."""
    lifecycle = _sorted(history.lifecycle)
    statuses = _sorted(history.lead_status)
    cycles: list[LeadCycle] = []
    begins = utc_or_none(history.created_at)
    while True:
        mql_at = _first(lifecycle, MQL_OR_LATER, after=begins if cycles else None)
        if mql_at is None:
            return cycles
        rejected = _first_answer(statuses, answers.rejected, mql_at)
        cycles.append(_cycle(history, answers, len(cycles) + 1, (begins, mql_at), rejected, statuses, lifecycle))
        if rejected is None:
            return cycles
        begins = rejected[0]


def _cycle(
    history: ContactHistory,
    answers: Answers,
    number: int,
    span: tuple[datetime | None, datetime],
    rejected: tuple[datetime, str] | None,
    statuses: Changes,
    lifecycle: Changes,
) -> LeadCycle:
    """One cycle: begun at `span[0]`, in MQL from `span[1]`, ended by the `rejected` answer (None: still open)."""
    begins, mql_at = span
    ends = rejected[0] if rejected else None
    sql_at = _first(lifecycle, SQL_OR_LATER, after=begins if number > 1 else None, before=ends)
    accepted = _first_answer(statuses, answers.accepted, mql_at, before=ends)
    owner = next(((at, value) for at, value in _sorted(history.owners) if value and at >= mql_at), None)
    deal = min((d for d in history.deals if in_utc(d.created_at) >= mql_at), key=lambda d: in_utc(d.created_at),
               default=None)  # fmt: skip
    closed = _closing(deal, answers.deal_outcomes) if deal else None
    return LeadCycle(
        contact=history.contact_id,
        cycle=number,
        created_at=begins,
        mql_at=mql_at,
        sql_at=sql_at,
        handed_over_at=owner[0] if owner else None,
        owner=owner[1] if owner else None,
        accepted_at=None if rejected else (accepted[0] if accepted else None),
        rejected_at=rejected[0] if rejected else None,
        rejection_reason=rejected[1] if rejected else None,
        deal_created_at=in_utc(deal.created_at) if deal else None,
        won_at=closed[0] if closed and closed[1] == "won" else None,
        lost_at=closed[0] if closed and closed[1] == "lost" else None,
    )


def _closing(deal: DealHistory, outcomes: Mapping[str, str]) -> tuple[datetime, str] | None:
    return next(((at, outcomes[v]) for at, v in _sorted(deal.stages) if v is not None and v in outcomes), None)


def _first(
    changes: Changes, values: Collection[str], after: datetime | None = None, before: datetime | None = None
) -> datetime | None:
    """When a value of `values` was first taken (strictly after `after`, before `before`)."""
    return next(
        (
            at
            for at, value in changes
            if value in values and (after is None or at > after) and (before is None or at < before)
        ),
        None,
    )


def _first_answer(
    statuses: Changes, values: Collection[str], since: datetime, before: datetime | None = None
) -> tuple[datetime, str] | None:
    """The first lead status of `values` at or after `since` (and before `before`), with its value."""
    for at, value in statuses:
        if value and value in values and at >= since and (before is None or at < before):
            return at, value
    return None


def _sorted(changes: Changes) -> list[tuple[datetime, str | None]]:
    return sorted(((in_utc(at), value) for at, value in changes), key=lambda change: change[0])


def join_backfill(
    ledger_cycles: Iterable[LeadCycle], backfilled: Iterable[LeadCycle], first_seen: Mapping[str, datetime]
) -> list[LeadCycle]:
    """Return the ledger's cycles with the backfilled ones that came before Leadflow first assessed each contact.

    Backfilled cycles that ended before `first_seen` come first (cycles 1…k; the ledger's are numbered on from k+1);
    one still open then is the ledger's first cycle, which keeps its own facts and takes HubSpot's `created_at` (a
    cycle after a rejection began then), the earlier `mql_at` and `sql_at`, and what the ledger lacks. A contact
    Leadflow never assessed keeps its backfilled cycles as they are."""
    before: dict[str, list[LeadCycle]] = {}
    for fact in backfilled:
        seen = first_seen.get(fact.contact or "")
        if fact.mql_at is not None and (seen is None or fact.mql_at < seen):
            before.setdefault(fact.contact or "", []).append(fact)
    joined: list[LeadCycle] = []
    for fact in ledger_cycles:
        history = before.get(fact.contact or "", [])
        seen = first_seen.get(fact.contact or "")
        closed = [h for h in history if h.rejected_at is not None and (seen is None or h.rejected_at < seen)]
        still_open = next((h for h in history if h not in closed), None)
        if fact.cycle == 1:
            joined.extend(closed)
        shifted = replace(fact, cycle=(fact.cycle or 1) + len(closed))
        joined.append(_continue(still_open, shifted) if still_open and fact.cycle == 1 else shifted)
    ledger_contacts = {fact.contact for fact in joined}
    joined += [fact for contact, facts in before.items() if contact not in ledger_contacts for fact in facts]
    return joined


def _continue(history: LeadCycle, ledger: LeadCycle) -> LeadCycle:
    """The ledger's first cycle, begun before Leadflow: HubSpot's earlier entries, the ledger's own facts."""
    values = {
        name: getattr(ledger, name) if getattr(ledger, name) is not None else getattr(history, name) for name in KEYS
    }
    for name in ("mql_at", "sql_at"):
        found = [moment for moment in (getattr(history, name), getattr(ledger, name)) if moment is not None]
        values[name] = min(found) if found else None
    values["created_at"] = history.created_at or ledger.created_at  # a later cycle began at HubSpot's rejection
    return LeadCycle(**values)
