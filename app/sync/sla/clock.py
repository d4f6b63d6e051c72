"""Starting a handover's SLA clock when the handover step carries it out (wired in by the composition root)."""

from __future__ import annotations

from collections.abc import Callable

from app.ledger.records import HandoverRecord, SlaStart
from app.rules.handover.types import Lead
from app.rules.sla.policy import SlaConfig
from app.rules.sla.steps import start_clock


def clock_starter(config: SlaConfig) -> Callable[[HandoverRecord, Lead], SlaStart | None]:
    """Return what starts the clock of a handover (from its assignment), or None for a stage without a target."""

    def start(record: HandoverRecord, lead: Lead) -> SlaStart | None:
        started = start_clock(config, record.stage, lead.assessment.grade, record.assigned_at)
        if started is None:
            return None
        steps = tuple((step.name, step.due_at) for step in started.steps)
        return SlaStart(started.target.id, started.points.assigned_at, started.points.due_at, steps)

    return start
