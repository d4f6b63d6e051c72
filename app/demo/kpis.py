"""The demo report's KPI section: `leadflow kpis` over the demo's months, from the ledger, then checked against what
the simulated portal really holds (the twin's own record of every rep's action), so the numbers can be trusted.

The check is independent of how Leadflow builds its facts: it reads the twin's property histories and engagement
objects, never the ledger. Per lead cycle:
- an acceptance or rejection must be a lead status the rep set, at that second, to an accepted or rejected value;
- a won or lost deal must be a deal of the contact closed won or lost by a rep at that second;
- a first touch must be a call, sales e-mail or meeting logged on the contact, a lead status or a task completed,
  at that second;
- `mql_at` and `sql_at` must be when the contact's `leadflow_stage` (what HubSpot shows) took `mql` or `sql`.
And per portal: every contact a rep answered has an answer among its facts, and every deal a rep closed is won or
lost in a fact (one deal per cycle).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.demo.runtime import Runtime
from app.rules.kpis import LeadCycle, compute_kpis
from app.rules.kpis.table import kpi_table
from app.rules.scoring.writes import STAGE
from app.sync.kpis.facts import ledger_facts
from hubspot_twin.crm.timestamps import parse_instant
from hubspot_twin.errors import HubSpotError
from hubspot_twin.simulator.sales import ACCEPTED, REJECTED
from hubspot_twin.twin import Twin

Echo = Callable[[str], None]
ENGAGEMENTS = ("calls", "emails", "meetings")
SHOWN = 5  # differences named in the report


@dataclass
class Verification:
    """What the check compared, and every difference it found."""

    checked: int = 0  # fact times compared with the twin's record
    differences: list[str] = field(default_factory=list)


Window = tuple[datetime, datetime, datetime]  # from, to, as of


def kpi_window(runtime: Runtime, start: datetime, days: int) -> Window:
    """The demo's months as the KPI report's window, as of their end (or later, if the clock went on)."""
    end = start + timedelta(days=days)
    return start, end, max(runtime.container.clock(), end)


def print_kpis(runtime: Runtime, window: Window, echo: Echo) -> Verification:
    """Print the KPI report of the demo's window from the ledger, then its check against the twin."""
    container = runtime.container
    facts = ledger_facts(container.ledger, container.model.qualified_stages)
    echo(f"\nFunnel KPIs (leadflow kpis --from {window[0]:%Y-%m-%d} --to {window[1]:%Y-%m-%d})")
    echo(kpi_table(compute_kpis(facts, *window)))
    found = verify_facts(runtime.twin, facts)
    verdict = "no difference" if not found.differences else f"{len(found.differences)} difference(s)"
    echo(f"\nChecked against the simulated portal: {found.checked} fact times matched HubSpot's record (the reps' "
         f"answers, deals and touches, the stages Leadflow wrote), to the second; {verdict}")  # fmt: skip
    for difference in found.differences[:SHOWN]:
        echo(f"  {difference}")
    return found


def verify_facts(twin: Twin, facts: Sequence[LeadCycle]) -> Verification:
    """Compare the facts' answers, deal outcomes and first touches with the twin's record (see the module)."""
    found = Verification()
    by_contact: dict[str, list[LeadCycle]] = {}
    for fact in facts:
        by_contact.setdefault(fact.contact or "", []).append(fact)
    closing = _closing_stages(twin)
    for contact, cycles in by_contact.items():
        record = _PortalRecord.of(twin, contact, closing)
        if record is not None:
            _verify_contact(contact, cycles, record, found)
    return found


def _verify_contact(contact: str, cycles: Sequence[LeadCycle], record: _PortalRecord, found: Verification) -> None:
    checks = [
        ("accepted", [c.accepted_at for c in cycles], record.accepted),
        ("rejected", [c.rejected_at for c in cycles], record.rejected),
        ("won", [c.won_at for c in cycles], record.won),
        ("lost", [c.lost_at for c in cycles], record.lost),
        ("first touch", [c.first_touch_at for c in cycles], record.touches),
        ("mql", [c.mql_at for c in cycles], record.qualified),
        ("sql", [c.sql_at for c in cycles], record.sales_qualified),
    ]
    for what, moments, truth in checks:
        for moment in (m for m in moments if m is not None):
            found.checked += 1
            if _second(moment) not in truth:
                found.differences.append(f"contact {contact}: {what} at {moment:%Y-%m-%d %H:%M:%S} is not in HubSpot")
    answered = any(c.accepted_at or c.rejected_at for c in cycles)
    if bool(record.accepted or record.rejected) != answered:
        found.differences.append(f"contact {contact}: a rep's answer and the facts disagree (answered: {answered})")
    closed = sum(1 for c in cycles if c.won_at or c.lost_at)
    if closed != record.deals_closed:
        found.differences.append(f"contact {contact}: {record.deals_closed} deal(s) closed, {closed} in the facts")


@dataclass(frozen=True)
class _PortalRecord:
    """What the twin holds of one contact, in whole seconds: answers, deal closings and touches."""

    accepted: frozenset[int]
    rejected: frozenset[int]
    won: frozenset[int]
    lost: frozenset[int]
    deals_closed: int
    touches: frozenset[int]
    qualified: frozenset[int]  # when Leadflow's stage property took `mql` or `sql`
    sales_qualified: frozenset[int]  # when it took `sql`

    @classmethod
    def of(cls, twin: Twin, contact: str, closing: tuple[frozenset[str], frozenset[str]]) -> _PortalRecord | None:
        try:
            statuses = twin.history("contacts", contact, "hs_lead_status")
        except HubSpotError:  # merged away or deleted in the twin: nothing of its own to compare
            return None
        accepted = _stamps(stamp for stamp, value in statuses if value in ACCEPTED)
        rejected = _stamps(stamp for stamp, value in statuses if value in REJECTED)
        won, lost = _closings(twin, contact, closing)
        touches = _engagement_times(twin, contact) | accepted | rejected | _task_completions(twin, contact)
        stages = twin.history("contacts", contact, STAGE)
        qualified = _stamps(stamp for stamp, value in stages if value in ("mql", "sql"))
        sales_qualified = _stamps(stamp for stamp, value in stages if value == "sql")
        closed = len(won) + len(lost)
        return cls(accepted, rejected, frozenset(won), frozenset(lost), closed, touches, qualified, sales_qualified)


def _closings(twin: Twin, contact: str, closing: tuple[frozenset[str], frozenset[str]]) -> tuple[list[int], list[int]]:
    """Return the seconds at which the contact's deals were closed won and closed lost (each deal once), by the
    portal's closed-won and closed-lost stages (`closing`)."""
    won_stages, lost_stages = closing
    won: list[int] = []
    lost: list[int] = []
    for deal in twin.associated_ids("contacts", contact, "deals"):
        stages = twin.history("deals", deal, "dealstage")
        closed = next(((stamp, value) for stamp, value in stages if value in won_stages | lost_stages), None)
        if closed is not None:
            (won if closed[1] in won_stages else lost).extend(_stamps([closed[0]]))
    return won, lost


def _closing_stages(twin: Twin) -> tuple[frozenset[str], frozenset[str]]:
    stages = [stage for pipeline in twin.pipelines() for stage in pipeline.get("stages", [])]
    closed = [s for s in stages if s["metadata"].get("isClosed") == "true"]
    won = frozenset(s["id"] for s in closed if float(s["metadata"].get("probability", 0)) >= 1.0)
    lost = frozenset(s["id"] for s in closed if float(s["metadata"].get("probability", 0)) <= 0.0)
    return won, lost


def _engagement_times(twin: Twin, contact: str) -> frozenset[int]:
    """The activity dates of the calls, e-mails and meetings logged on the contact."""
    stamps: list[str] = []
    for kind in ENGAGEMENTS:
        for engagement in twin.associated_ids("contacts", contact, kind):
            stamps.append(twin.get_object(kind, engagement).get("hs_timestamp") or "")
    return _stamps(stamps)


def _task_completions(twin: Twin, contact: str) -> frozenset[int]:
    stamps = [
        stamp
        for task in twin.associated_ids("contacts", contact, "tasks")
        for stamp, value in twin.history("tasks", task, "hs_task_status")
        if value == "COMPLETED"
    ]
    return _stamps(stamps)


def _stamps(texts: Iterable[str]) -> frozenset[int]:
    return frozenset(_second(moment) for text in texts if text and (moment := parse_instant(text)) is not None)


def _second(moment: datetime) -> int:
    return int(moment.timestamp())
