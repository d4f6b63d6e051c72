"""A worker process running the SLA watch at a given moment that is SIGKILLed in the middle of an escalation:
after the step's claim and the escalation task's upsert in HubSpot, before the step is marked fired (the first
escalation with a recipient, and so a task; one to an owner without a manager goes through).

    python -m tests.faults.sla_victim 2026-12-03T21:00:00+00:00   (Leadflow's settings in the environment)

The fault suite's killed-worker scenario starts it when an escalation is due (tests/faults/test_faults.py); it
exits by SIGKILL, or with status 3 when the watch had no escalation to carry out.
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import replace
from datetime import datetime

from app.bootstrap import build_container
from app.ledger.records import DueStep
from app.settings import load_settings
from app.sync.sla import watch
from app.sync.sla.steps import StepRun
from app.sync.sla.watch import SlaWatchContext, watch_sla

NOTHING_ESCALATED = 3


def main(moment: datetime) -> None:
    container = build_container(load_settings())
    escalate = watch.escalate

    def escalate_then_die(run: StepRun, step: DueStep) -> tuple[str, str | None]:
        detail, recipient = escalate(run, step)  # the task is upserted in HubSpot, the notification sent
        if recipient is None:  # notified only (the owner has no manager): no task to look for; the next one
            return detail, recipient
        os.kill(os.getpid(), signal.SIGKILL)  # the worker dies before `fire`
        raise AssertionError("unreachable")

    watch.escalate = escalate_then_die  # type: ignore[assignment]
    watch_sla(replace(container.provide(SlaWatchContext), clock=lambda: moment))
    sys.exit(NOTHING_ESCALATED)


if __name__ == "__main__":
    main(datetime.fromisoformat(sys.argv[1]))
