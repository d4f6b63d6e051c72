"""The SLA watch (a clock job every SLA_WATCH_SECONDS): reminders, escalations and reassignments, each once, and
the SLA properties on the contacts.

Each run
1. reads the steps whose time has come (app/ledger/sla.py: of open, untouched handovers, not fired, not claimed
   within the lease), decides per handover what fires (app/rules/sla/steps.py `due_steps`), claims each step,
   carries it out (app/sync/sla/steps.py) and marks it fired together with what it changed: the reminders one by
   one, then the escalations together (each claimed, their tasks upserted in one batch, then each marked fired),
   then the reassignments one by one (a handover's escalation fires before its reassignment, as `due_steps` orders
   them);
2. computes the status of every open clock and of every clock touched since it was last written, and writes the
   contacts whose values changed, 100 per request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.ledger import sla as sla_rows
from app.ledger import touches as touch_rows
from app.ledger.records import DueStep
from app.ledger.store import Ledger
from app.rules.sla.policy import SlaConfig
from app.rules.sla.steps import ClockStep, StepKind, due_steps, step_kind
from app.sync.handover.step import Handovers
from app.sync.hubspot.errors import HubSpotError
from app.sync.hubspot.gateway import HubSpotGateway
from app.sync.jobs import job
from app.sync.sla.status import write_statuses
from app.sync.sla.steps import StepRun, earlier_owners, escalate, read_routing_values, reassign, remind
from app.sync.sla.touches import learn_team

logger = logging.getLogger(__name__)
STEP_LEASE = timedelta(minutes=10)  # a claimed step not fired by then is claimed again (its worker died)
MAX_DETAILS = 20  # steps named in the report (and its log line); the ledger keeps every step's detail


@dataclass(frozen=True)
class SlaWatchContext:
    ledger: Ledger
    gateway: Callable[[], HubSpotGateway]
    handovers: Handovers | None  # None without handover.yaml
    sla: SlaConfig | None  # None without config/sla.yaml: the watch does nothing
    clock: Callable[[], datetime]
    lease: timedelta = STEP_LEASE
    recheck_after: timedelta = timedelta(seconds=300)  # HUBSPOT_RECHECK_SECONDS: when an unanswered write is redone


@dataclass
class SlaWatchReport:
    reminders: int = 0
    escalations: int = 0
    reassignments: int = 0
    skipped: int = 0
    failed: int = 0  # steps HubSpot failed: released, tried again at the next run
    contacts_written: int = 0
    details: list[str] = field(default_factory=list)


@job("sla-watch", needs=SlaWatchContext, timeout=300)
def watch_sla(ctx: SlaWatchContext) -> SlaWatchReport:
    """Fire the SLA steps that are due, once each; write the SLA properties that changed."""
    report = SlaWatchReport()
    handovers, sla = ctx.handovers, ctx.sla
    if handovers is None or sla is None:
        return report
    now = ctx.clock()
    gateway = ctx.gateway()
    due = ctx.ledger.sla.due_steps(now)
    if due:
        rerouted = sorted({step.contact_id for step in due if _routes_anew(step)})
        contacts, companies = read_routing_values(gateway, handovers, rerouted)
        run = StepRun(ctx.ledger, gateway, handovers, sla, now, handovers.team(), contacts, companies)
        learn_team(ctx.ledger, run.team, sla.first_touch, now)  # the next run sees a touch judged anew by its author
        chosen = [step for steps in _by_handover(due) for step in _choose(ctx, run, steps, report)]
        for step in _of_kind(chosen, "reminder"):
            _run_step(ctx, run, step, report)
        _escalate(ctx, run, _of_kind(chosen, "escalation"), report)
        for step in _of_kind(chosen, "reassignment"):
            _run_step(ctx, run, step, report)
    report.contacts_written = write_statuses(ctx.ledger, gateway, sla, now, ctx.recheck_after)
    logger.info("sla-watch.ran", extra={k: v for k, v in vars(report).items() if k != "details"})
    return report


def _routes_anew(step: DueStep) -> bool:
    """Return whether the step is a reassignment still to be routed (a retried one keeps the owner it chose)."""
    return step.decided_owner is None and step_kind(step.step) == "reassignment"


def _by_handover(due: Sequence[DueStep]) -> list[list[DueStep]]:
    grouped: dict[str, list[DueStep]] = {}
    for step in due:
        grouped.setdefault(step.key, []).append(step)
    return list(grouped.values())


def _choose(ctx: SlaWatchContext, run: StepRun, steps: list[DueStep], report: SlaWatchReport) -> list[DueStep]:
    """Mark the steps a later one made pointless skipped; return those to fire, in their order."""
    by_name = {step.step: step for step in steps}
    decision = due_steps([ClockStep(s.step, s.due_at) for s in steps], (), None, run.now)
    for skipped in decision.skip:
        step = by_name[skipped.name]
        if ctx.ledger.sla.claim(step.id, run.now, ctx.lease):
            with ctx.ledger.transaction() as connection:
                report.skipped += sla_rows.fire(connection, step.id, run.now, "skipped: a later step was due")
    return [by_name[chosen.name] for chosen in decision.fire]


def _of_kind(steps: Sequence[DueStep], kind: StepKind) -> list[DueStep]:
    return [step for step in steps if step_kind(step.step) == kind]


def _run_step(ctx: SlaWatchContext, run: StepRun, step: DueStep, report: SlaWatchReport) -> None:
    """Claim a reminder or reassignment and fire it; on a HubSpot error release it for the next run."""
    if not ctx.ledger.sla.claim(step.id, run.now, ctx.lease):
        return
    try:
        _fire(ctx, run, step, report)
    except HubSpotError as error:
        # Recorded and retried: the step is released for the next run; the other handovers go on.
        ctx.ledger.sla.release(step.id)
        report.failed += 1
        logger.error("sla-watch.step-failed", extra={"handover": step.key, "step": step.step, "error": str(error)})


def _escalate(ctx: SlaWatchContext, run: StepRun, chosen: list[DueStep], report: SlaWatchReport) -> None:
    """Claim each escalation, carry out those claimed together, then mark each fired with what it did; on a HubSpot
    error release them all for the next run."""
    steps = [step for step in chosen if ctx.ledger.sla.claim(step.id, run.now, ctx.lease)]
    if not steps:
        return
    try:
        escalated = escalate(run, steps)
    except HubSpotError as error:
        for step in steps:
            ctx.ledger.sla.release(step.id)
        report.failed += len(steps)
        logger.error("sla-watch.escalations-failed", extra={"steps": len(steps), "error": str(error)})
        return
    with ctx.ledger.transaction() as connection:
        for step, (detail, recipient) in zip(steps, escalated, strict=True):
            if sla_rows.fire(connection, step.id, run.now, detail, recipient):
                sla_rows.count_escalation(connection, step.key)
                report.escalations += 1
    for step, (detail, _recipient) in zip(steps, escalated, strict=True):
        _note(report, step, detail)


def _fire(ctx: SlaWatchContext, run: StepRun, step: DueStep, report: SlaWatchReport) -> None:
    """Carry out a claimed reminder or reassignment, then mark it fired with what it changed (nothing more if it
    had fired)."""
    if step_kind(step.step) == "reminder":
        detail = remind(run, step)
        with ctx.ledger.transaction() as connection:
            report.reminders += sla_rows.fire(connection, step.id, run.now, detail, step.owner_id)
        _note(report, step, detail)
        return
    moved = reassign(run, step)
    with ctx.ledger.transaction() as connection:
        if not sla_rows.fire(connection, step.id, run.now, moved.detail, moved.owner_id):
            return
        if moved.owner_id is None or moved.clock is None:
            sla_rows.note_not_reassigned(connection, step.key, moved.reason)
            return
        earlier = ",".join(earlier_owners(step))
        sla_rows.reassign(connection, step.key, moved.owner_id, earlier, moved.reason, moved.clock, run.now)
        # The touches recorded so far are judged again: whose touch counts changed with the owner.
        touch_rows.judge_contacts(connection, [step.contact_id], run.sla.first_touch)
        report.reassignments += 1
    _note(report, step, moved.detail)


def _note(report: SlaWatchReport, step: DueStep, detail: str) -> None:
    if len(report.details) < MAX_DETAILS:
        report.details.append(f"{step.key} {step.step}: {detail}")
    logger.info("sla-watch.fired", extra={"handover": step.key, "step": step.step})
