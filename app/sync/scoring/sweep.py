"""The decay sweep (a clock job every DECAY_SWEEP_SECONDS): scores stay true when nothing happens.

Every assessment stores `next_change_at`, the moment its written values would change by time alone (decay, an
event window closing; see app/rules/scoring/timeline.py). The sweep marks the contacts whose moment has passed
dirty, and ordinary drains re-assess them at the request floor: transitions are recorded, the scores and the stage
written, handovers follow the usual rules. It reads the due contacts through an index, never the whole ledger, and
asks HubSpot nothing for the contacts that are not due.

What HubSpot shows lags `leadflow assess --at now` of the ledger's data by at most one sweep interval plus one
drain.
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
class SweepContext:
    ledger: Ledger
    worklist: Worklist
    clock: Callable[[], datetime]


@dataclass(frozen=True)
class SweepReport:
    due: int  # contacts marked dirty: their written values changed by time alone


@job("decay-sweep", needs=SweepContext, timeout=300)
def sweep_decay(ctx: SweepContext) -> SweepReport:
    """Mark the contacts whose values changed by time alone dirty and schedule a drain."""
    now = ctx.clock()
    due = ctx.worklist.mark_due(ctx.ledger.contacts.due_for_change(now), now.timestamp())
    logger.info("decay-sweep.marked", extra={"due": due})
    return SweepReport(due)
