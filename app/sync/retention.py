"""Retention (a daily job): raw webhook payloads are kept only as long as they are useful, deleted contacts only as
long as HubSpot can restore them. See docs/data-protection.md."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.ledger.store import Ledger

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionReport:
    signals_pruned: int
    contacts_erased: int


def apply_retention(
    ledger: Ledger, clock: Callable[[], datetime], signal_days: int, deleted_contact_days: int
) -> RetentionReport:
    """Prune processed signals older than `signal_days`; erase contacts deleted over `deleted_contact_days` ago."""
    now = clock()
    signals, contacts = ledger.prune(now - timedelta(days=signal_days), now - timedelta(days=deleted_contact_days), now)
    logger.info("retention.applied", extra={"signals_pruned": signals, "contacts_erased": contacts})
    return RetentionReport(signals, contacts)
