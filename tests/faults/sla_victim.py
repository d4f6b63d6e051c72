"""A worker process running the SLA watch at a given moment that is SIGKILLed in the middle of its escalations:
after the steps' claims and the upsert of their escalation tasks in HubSpot (one batch), before the steps are
marked fired (when some escalation of the batch had a recipient, and so a task; a batch of escalations to owners
without a manager goes through).

    python -m tests.faults.sla_victim 2026-12-03T21:00:00+00:00   (Leadflow's settings in the environment)

The fault suite's killed-worker scenario starts it when an escalation is due (tests/faults/test_faults.py); it
exits by SIGKILL, or with status 3 when the watch had no escalation to carry out.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
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

    def escalate_then_die(run: StepRun, steps: Sequence[DueStep]) -> list[tuple[str, str | None]]:
        escalated = escalate(run, steps)  # the tasks are upserted in HubSpot, the notifications sent
        if all(recipient is None for _detail, recipient in escalated):  # notified only: no task to look for
            return escalated
        os.kill(os.getpid(), signal.SIGKILL)  # the worker dies before the steps are fired
        raise AssertionError("unreachable")

    watch.escalate = escalate_then_die  # type: ignore[assignment]
    watch_sla(replace(container.provide(SlaWatchContext), clock=lambda: moment))
    sys.exit(NOTHING_ESCALATED)


if __name__ == "__main__":
    main(datetime.fromisoformat(sys.argv[1]))
