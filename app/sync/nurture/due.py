"""The `nurture-due` clock job (every NURTURE_DUE_SECONDS): a step that waited for its pacing is offered on time.

Each plan keeps the contact's standing with `due_at`, when its waiting step may be offered (cap, gap, quiet
hours). The job marks the contacts whose moment has passed dirty, and ordinary drains plan them again and offer
the step, at the drain's request floor (no request of its own). It reads the due contacts through an index,
never the whole ledger, and asks HubSpot nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app.ledger.store import Ledger
from app.sync.jobs import job
from app.worklist import Worklist

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NurtureDueContext:
    ledger: Ledger
    worklist: Worklist
    clock: Callable[[], datetime]
    nurturing: bool = True  # False without config/nurture.yaml: steps left waiting by an earlier config stay so


@dataclass(frozen=True)
class NurtureDueReport:
    due: int  # contacts marked dirty: their waiting nurture step may be offered now


@job("nurture-due", needs=NurtureDueContext, timeout=300)
def offer_due_steps(ctx: NurtureDueContext) -> NurtureDueReport:
    """Mark the contacts whose waiting nurture step is due dirty and schedule a drain."""
    if not ctx.nurturing:  # no drain would offer them: marking them dirty would only cost each a read, every run
        return NurtureDueReport(0)
    now = ctx.clock()
    due = ctx.worklist.mark_due(ctx.ledger.nurture.due_for_offer(now), now.timestamp())
    logger.info("nurture-due.marked", extra={"due": due})
    return NurtureDueReport(due)
