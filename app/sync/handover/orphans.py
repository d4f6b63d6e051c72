"""Completing the open tasks of contacts a privacy deletion erased (clock job `close-work`, every five minutes).

HubSpot deletes the contact but keeps the tasks Leadflow created for it; the ledger erased everything about the
contact at once and kept only those tasks' ids (`orphaned_tasks`, never whose they were). This job completes them
with a note, 100 per batch read and batch update, as the drain closes ended handovers' tasks
(app/sync/handover/closing.py): a task already completed or gone from HubSpot is left alone, one HubSpot refuses for
good is logged and dropped (the same request cannot succeed), a transient failure leaves the page for the retry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from rq import Retry

from app.ledger.store import Ledger
from app.rules.handover.closing import closing_note
from app.sync.handover.closing import TaskClosing, complete_tasks
from app.sync.hubspot.errors import DailyLimitReached
from app.sync.hubspot.gateway import HubSpotGateway
from app.sync.jobs import job

logger = logging.getLogger(__name__)
PAGE = 100  # tasks per HubSpot batch read and update
# Stands for the contact in logs and refusals (`erased:<task id>`): the ledger no longer knows whose the task was.
ERASED = "erased:"


@dataclass(frozen=True)
class CloseWorkContext:
    ledger: Ledger
    gateway: Callable[[], HubSpotGateway]


@dataclass(frozen=True)
class CloseWorkReport:
    tasks: int = 0  # erased contacts' tasks handled (completed, or already completed or gone)
    refused: int = 0  # of those, HubSpot refused for good
    paused_until: str | None = None  # HubSpot's daily limit stopped it until then (ISO 8601)


@job("close-work", needs=CloseWorkContext, timeout=600, retry=Retry(max=3, interval=[5, 30, 120]))
def close_orphaned_tasks(ctx: CloseWorkContext) -> CloseWorkReport:
    """Complete the open tasks Leadflow created for contacts a privacy deletion erased."""
    tasks = refused = 0
    gateway = ctx.gateway()
    try:
        while page := ctx.ledger.privacy.orphaned_tasks(PAGE):
            closings = [
                TaskClosing(task_id, task_id, f"{ERASED}{task_id}", closing_note(why)) for task_id, why in page.items()
            ]
            closed = complete_tasks(gateway, closings)
            ctx.ledger.privacy.forget_orphaned_tasks(list(page))
            tasks, refused = tasks + len(page), refused + len(closed.errors)
    except DailyLimitReached as exc:
        return CloseWorkReport(tasks, refused, exc.resume_at.isoformat())
    if tasks:
        logger.info("close-work.done", extra={"tasks": tasks, "refused": refused})
    return CloseWorkReport(tasks, refused)
