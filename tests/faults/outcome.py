"""What a run left behind, in terms that can be compared across runs, and the comparison itself.

Ids differ between runs only where HubSpot or the ledger assign them to things Leadflow created (tasks, deals,
signals); everything is keyed by the scenario's labels instead: contacts `c007`, companies `co05`, owners by
email, tasks and deals by their `leadflow_handover_id` with the contact's label (`c007-mql-1`).

Some values depend on when a run happened rather than on what happened, and are normalised:
- a task's due date counts business hours from the handover's reservation: it is checked against the ledger's
  handover (the SLA's due time when its stage has a target, else `business_due(assigned_at, response_hours)`) and
  compared as the check's result;
- the SLA's instants (the contact's `leadflow_sla_due_at` and `leadflow_first_touch_at`, an escalation task's due
  date) are checked against the ledger's handover and steps, the business minutes to the first touch against the
  elapsed minutes (the scenario's SLA calendar is open around the clock); each SLA step is compared as its state
  (fired, skipped, closed) and its point, in minutes from the start of its clock (the assignment, or the
  reassignment that started the new owner's clock);
- `leadflow_routing_reason` of a territory decision names the owner's open handovers at that moment ("0 open"),
  which depends on the order the contacts of one phase were routed in: the count is compared as `# open`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.ledger.models import ENGAGEMENTS, SIGNALS, SLA_STEPS, TRANSITIONS
from app.ledger.records import HandoverRecord
from app.rules import business_due
from app.rules.scoring.writes import SCORED_AT, format_datetime
from tests.faults.harness import Run

CONTACT_PROPERTIES = ("hubspot_owner_id", "lifecyclestage", "hs_lead_status")
OPEN_COUNT = re.compile(r"\b\d+ open\b")


@dataclass
class Outcome:
    """The final HubSpot state and the ledger, keyed by labels."""

    contacts: dict[str, dict[str, str]] = field(default_factory=dict)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    deals: dict[str, dict[str, Any]] = field(default_factory=dict)
    task_counts: Counter[str] = field(default_factory=Counter)
    deal_counts: Counter[str] = field(default_factory=Counter)
    handovers: dict[str, dict[str, Any]] = field(default_factory=dict)
    transitions: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    engagements: Counter[tuple[str, str]] = field(default_factory=Counter)
    signals: Counter[tuple[str, ...]] = field(default_factory=Counter)
    sla_steps: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)  # handover → (step, state, point, to)

    def duplicates(self) -> int:
        """Tasks and deals beyond one per handover key."""
        return sum(n - 1 for n in self.task_counts.values() if n > 1) + sum(
            n - 1 for n in self.deal_counts.values() if n > 1
        )

    def summary(self) -> str:
        stages = Counter(p.get("leadflow_stage") or "-" for p in self.contacts.values())
        return (
            f"{len(self.contacts)} contacts (stages {dict(sorted(stages.items()))}), {len(self.tasks)} tasks, "
            f"{len(self.deals)} deals, {len(self.handovers)} handovers, {sum(self.signals.values())} signals, "
            f"{sum(self.engagements.values())} engagements, {sum(map(len, self.sla_steps.values()))} SLA steps"
        )


def snapshot(run: Run) -> Outcome:
    """Read the outcome of a converged run from the twin's Python API and the ledger."""
    twin, portal = run.twin, run.portal
    labels = portal.label_of()
    outcome = Outcome()
    for label, contact_id in sorted(portal.contacts.items()):
        properties = twin.get_object("contacts", contact_id)
        kept = {k: v for k, v in properties.items() if k.startswith("leadflow_") and k != SCORED_AT and v}
        kept |= {k: properties.get(k) or "" for k in CONTACT_PROPERTIES}
        kept["hubspot_owner_id"] = labels.get(kept["hubspot_owner_id"], kept["hubspot_owner_id"])
        if "leadflow_routing_reason" in kept:
            kept["leadflow_routing_reason"] = OPEN_COUNT.sub("# open", kept["leadflow_routing_reason"])
        outcome.contacts[label] = kept

    handovers = run.container.ledger.handovers.of_contacts(list(portal.contacts.values()))
    by_key = {h.key: h for found in handovers.values() for h in found}
    config = run.container.handover_config
    assert config is not None
    deal_keys = {}
    for deal_id, _created, properties in twin.live_objects("deals"):
        key = _relabel(properties.get("leadflow_handover_id") or f"(no key) {deal_id}", labels)
        deal_keys[deal_id] = key
        outcome.deal_counts[key] += 1
        outcome.deals.setdefault(key, {
            "name": properties.get("dealname"), "stage": properties.get("dealstage"),
            "pipeline": properties.get("pipeline"), "amount": properties.get("amount"),
            "owner": labels.get(properties.get("hubspot_owner_id") or "", properties.get("hubspot_owner_id")),
            "contacts": _associated(run, "deals", deal_id, "contacts", labels),
            "companies": _associated(run, "deals", deal_id, "companies", labels),
        })  # fmt: skip
    escalated = _escalation_moments(run)
    for task_id, _created, properties in twin.live_objects("tasks"):
        raw_key = properties.get("leadflow_handover_id") or f"(no key) {task_id}"
        key = _relabel(raw_key, labels)
        outcome.task_counts[key] += 1
        outcome.tasks.setdefault(key, {
            "subject": properties.get("hs_task_subject"), "type": properties.get("hs_task_type"),
            "priority": properties.get("hs_task_priority"), "status": properties.get("hs_task_status"),
            "owner": labels.get(properties.get("hubspot_owner_id") or "", properties.get("hubspot_owner_id")),
            "due": _due(raw_key, properties.get("hs_timestamp"), by_key, config, escalated),
            "contacts": _associated(run, "tasks", task_id, "contacts", labels),
            "companies": _associated(run, "tasks", task_id, "companies", labels),
            "deals": [deal_keys.get(d, d) for d in twin.associated_ids("tasks", task_id, "deals")],
        })  # fmt: skip

    _read_sla_steps(run, outcome, by_key, labels)
    _check_sla_properties(run, outcome, by_key)
    tasks_by_id = {task_id: _relabel(p.get("leadflow_handover_id") or "", labels)
                   for task_id, _c, p in twin.live_objects("tasks")}  # fmt: skip
    for handover in by_key.values():
        key = _relabel(handover.key, labels)
        outcome.handovers[key] = {
            "stage": handover.stage, "cycle": handover.cycle, "status": handover.status,
            "owner": labels.get(handover.owner_id or "", handover.owner_id),
            "strategy": handover.routing_strategy,
            "reason": OPEN_COUNT.sub("# open", handover.routing_reason),
            "outcome": handover.outcome, "outcome_reason": handover.outcome_reason,
            "task": tasks_by_id.get(handover.task_id or "", handover.task_id),
            "deal": deal_keys.get(handover.deal_id or "", handover.deal_id),
            "sla": handover.sla_target, "escalations": handover.escalations,
            "reassignments": handover.reassignments,
            "earlier_owners": [labels.get(o, o) for o in (handover.earlier_owners or "").split(",") if o],
            "first_touch": handover.first_touch_kind and
                           f"{handover.first_touch_kind} by {labels.get(handover.first_touch_by or '', '?')}",
        }  # fmt: skip
    _read_ledger(run, outcome, labels)
    return outcome


def _read_ledger(run: Run, outcome: Outcome, labels: dict[str, str]) -> None:
    with run.container.ledger.engine.connect() as connection:
        for contact_id, kind in connection.execute(select(ENGAGEMENTS.c.contact_id, ENGAGEMENTS.c.type)):
            outcome.engagements[(labels.get(contact_id, contact_id), kind)] += 1
        columns = (SIGNALS.c.subscription_type, SIGNALS.c.kind, SIGNALS.c.object_type, SIGNALS.c.object_id)
        rows = connection.execute(select(*columns, SIGNALS.c.payload))
        for subscription, kind, object_type, object_id, payload in rows:
            name = labels.get(object_id, f"{object_type}:?")
            detail = str(payload.get("propertyName") or payload.get("associationType") or "")
            outcome.signals[(subscription, kind, name, detail)] += 1
        statement = select(TRANSITIONS.c.contact_id, TRANSITIONS.c.from_stage, TRANSITIONS.c.to_stage,
                           TRANSITIONS.c.cycle).order_by(TRANSITIONS.c.id)  # fmt: skip
        for contact_id, from_stage, to_stage, cycle in connection.execute(statement):
            outcome.transitions.setdefault(labels.get(contact_id, contact_id), []).append((from_stage, to_stage, cycle))


def _escalation_moments(run: Run) -> dict[str, datetime]:
    """When each escalation step fired, by its task's key (`<handover>-escalation`, `<handover>-escalation-1`)."""
    statement = select(SLA_STEPS.c.handover_key, SLA_STEPS.c.step, SLA_STEPS.c.fired_at).where(
        SLA_STEPS.c.step.like("escalation%"), SLA_STEPS.c.fired_at.is_not(None)
    )
    with run.container.ledger.engine.connect() as connection:
        rows = connection.execute(statement).all()
    return {f"{key}-{step.replace('/', '-')}": fired_at for key, step, fired_at in rows}


def _read_sla_steps(run: Run, outcome: Outcome, by_key: dict[str, HandoverRecord], labels: dict[str, str]) -> None:
    """Each handover's SLA steps: name, state, point (minutes after the start of its clock), owner or recipient."""
    statement = select(SLA_STEPS.c.handover_key, SLA_STEPS.c.step, SLA_STEPS.c.due_at, SLA_STEPS.c.fired_at,
                       SLA_STEPS.c.detail, SLA_STEPS.c.owner_id).order_by(SLA_STEPS.c.id)  # fmt: skip
    with run.container.ledger.engine.connect() as connection:
        rows = connection.execute(statement).all()
    fired = {(key, step): fired_at for key, step, _due, fired_at, _detail, _owner in rows}
    for key, step, due_at, fired_at, detail, owner_id in rows:
        _name, _, round_ = step.partition("/")
        start = fired.get((key, f"reassignment:{round_}")) if round_ else by_key[key].assigned_at
        point = round((due_at - start).total_seconds() / 60, 1) if start else None
        state = _step_state(due_at, fired_at, detail)
        entry = (step, state, point, labels.get(owner_id or "", owner_id))
        outcome.sla_steps.setdefault(_relabel(key, labels), []).append(entry)


def _step_state(due_at: datetime, fired_at: datetime | None, detail: str | None) -> str:
    if fired_at is None:
        return "not fired"
    if detail and detail.startswith(("skipped", "closed")):
        return detail.split(":")[0]
    return "fired" if fired_at >= due_at else "fired before its point"


def _check_sla_properties(run: Run, outcome: Outcome, by_key: dict[str, HandoverRecord]) -> None:
    """Replace the SLA instants on each contact by what they are checked against (its newest timed handover); on the
    scenario's calendar, open around the clock, the business minutes to the first touch are the elapsed minutes."""
    if run.container.sla is None:
        return
    newest: dict[str, HandoverRecord] = {}
    for handover in sorted(by_key.values(), key=lambda h: h.assigned_at):
        if handover.sla_target:
            newest[handover.contact_id] = handover
    labels = {v: k for k, v in run.portal.contacts.items()}
    for contact_id, handover in newest.items():
        shown = outcome.contacts[labels[contact_id]]
        touch, clock = handover.first_touch_at, handover.sla_clock_at
        expected = {
            "leadflow_sla_due_at": ("the SLA's due time", handover.sla_due_at and format_datetime(handover.sla_due_at)),
            "leadflow_first_touch_at": ("the first touch", touch and format_datetime(touch)),
            "leadflow_response_business_minutes": ("the business minutes to the first touch", touch and clock and
                f"{(touch - clock).total_seconds() / 60:.0f}"),
        }  # fmt: skip
        for name, (meaning, value) in expected.items():
            if name in shown:
                shown[name] = meaning if shown[name] == value else f"{shown[name]} != {value} ({meaning})"


def _relabel(key: str, labels: dict[str, str]) -> str:
    contact_id, _, rest = key.partition("-")
    return f"{labels.get(contact_id, contact_id)}-{rest}" if rest else key


def _associated(run: Run, from_type: str, object_id: str, to_type: str, labels: dict[str, str]) -> list[str]:
    return sorted(labels.get(i, i) for i in run.twin.associated_ids(from_type, object_id, to_type))


def _due(key: str, due: str | None, by_key: dict[str, Any], config: Any, escalated: dict[str, datetime]) -> str:
    """A handover task's due date must be `response_hours` business hours after the handover's reservation (the
    SLA's due time where its stage has a target); an escalation task is due when the watch escalated."""
    if key.endswith("-data"):
        return "data task"  # due a fixed time after the blocking note first appeared
    if key in escalated:
        expected = format_datetime(escalated[key])
        return "the escalation's moment" if due == expected else f"{due} != {expected} (escalated)"
    handover = by_key.get(key)
    stage = config.stage(handover.stage) if handover else None
    if handover is not None and handover.sla_due_at is not None:
        expected = format_datetime(handover.sla_due_at)
        return "the SLA's due time" if due == expected else f"{due} != {expected}"
    if handover is None or stage is None or stage.response_hours is None:
        return f"{due} (no handover)"
    expected = format_datetime(business_due(handover.assigned_at, stage.response_hours, config.calendar))
    return f"{stage.response_hours} business hours after the reservation" if due == expected else f"{due} != {expected}"


@dataclass
class Comparison:
    """How a run's outcome differs from the clean run's."""

    differences: list[str]
    events_lost: int  # webhook events (signals) of the clean run this run lacks
    engagements_lost: int
    signals_extra: int  # signals stored beyond the clean run's: a redelivery stored twice
    duplicates: int
    compared: str


def compare(clean: Outcome, run: Outcome, limit: int = 25) -> Comparison:
    """Compare every contact's properties, tasks, deals, handovers, transitions, engagements and signals."""
    differences: list[str] = []
    for label in sorted(set(clean.contacts) | set(run.contacts)):
        want, got = clean.contacts.get(label, {}), run.contacts.get(label, {})
        for name in sorted(set(want) | set(got)):
            if want.get(name) != got.get(name):
                differences.append(f"contact {label} {name}: clean {want.get(name)!r}, here {got.get(name)!r}")
    for what, want_map, got_map in (
        ("SLA steps of", clean.sla_steps, run.sla_steps),
        ("task", clean.tasks, run.tasks),
        ("deal", clean.deals, run.deals),
        ("handover", clean.handovers, run.handovers),
        ("transitions of", clean.transitions, run.transitions),
    ):
        for key in sorted(set(want_map) | set(got_map)):
            if want_map.get(key) != got_map.get(key):
                differences.append(f"{what} {key}: clean {want_map.get(key)!r}, here {got_map.get(key)!r}")
    for kind, counts in (("tasks", run.task_counts), ("deals", run.deal_counts)):
        for key, count in sorted(counts.items()):
            if count != 1:
                differences.append(f"{count} {kind} carry the handover key {key}")
    engagements_lost = clean.engagements - run.engagements
    engagements_extra = run.engagements - clean.engagements
    for key in sorted(engagements_lost + engagements_extra):
        differences.append(f"engagements {key}: clean {clean.engagements[key]}, here {run.engagements[key]}")
    signals_lost = clean.signals - run.signals
    signals_extra = run.signals - clean.signals
    for key, count in sorted((signals_lost + signals_extra).items()):
        differences.append(f"signals {key}: clean {clean.signals[key]}, here {run.signals[key]} ({count} apart)")
    compared = (
        f"{len(clean.contacts)} contacts × (leadflow_* but scored_at, owner, lifecycle stage, lead status), "
        f"{len(clean.tasks)} tasks, {len(clean.deals)} deals, {len(clean.handovers)} handovers, "
        f"{sum(len(t) for t in clean.transitions.values())} transitions, "
        f"{sum(len(s) for s in clean.sla_steps.values())} SLA steps (state, point, owner), "
        f"{sum(clean.engagements.values())} engagements, {sum(clean.signals.values())} signals"
    )
    shown = differences[:limit] + ([f"… and {len(differences) - limit} more"] if len(differences) > limit else [])
    return Comparison(
        differences=shown if differences else [],
        events_lost=sum(signals_lost.values()),
        engagements_lost=sum(engagements_lost.values()),
        signals_extra=sum(signals_extra.values()),
        duplicates=run.duplicates(),
        compared=compared,
    )


@dataclass
class ReportRow:
    """One scenario's lines in the session's report."""

    scenario: str
    database: str
    injected_count: str  # a short count for the table ("2482 events twice")
    injected: str
    events_lost: int
    duplicates: int
    converge_seconds: float
    compared: str
    verdict: str


def verdict(comparison: Comparison) -> str:
    return "same as the clean run" if not comparison.differences else f"{len(comparison.differences)} differences"
