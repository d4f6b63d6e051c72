"""Retention (a daily job): raw webhook payloads and the score history are kept only as long as they are useful,
deleted contacts only as long as HubSpot can restore them. See docs/data-protection.md."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from rq import Retry

from app.ledger.store import Ledger
from app.sync.jobs import job

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionContext:
    ledger: Ledger
    clock: Callable[[], datetime]
    signal_days: int  # processed signals (raw payloads), quarantined events and score history are kept this long
    deleted_contact_days: int  # contacts HubSpot deleted are erased this long after


@dataclass(frozen=True)
class RetentionReport:
    signals_pruned: int
    contacts_erased: int
    quarantined_pruned: int = 0
    score_changes_pruned: int = 0


@job("retention", needs=RetentionContext, timeout=1800, retry=Retry(max=2, interval=[60, 600]))
def apply_retention(ctx: RetentionContext) -> RetentionReport:
    """Prune processed signals, quarantined events and score history older than `signal_days`; erase contacts
    deleted over `deleted_contact_days` ago."""
    now = ctx.clock()
    deleted_before = now - timedelta(days=ctx.deleted_contact_days)
    pruned = ctx.ledger.privacy.prune(now - timedelta(days=ctx.signal_days), deleted_before, now)
    report = RetentionReport(pruned.signals, pruned.contacts, pruned.quarantined, pruned.score_changes)
    logger.info("retention.applied", extra=vars(report))
    return report
