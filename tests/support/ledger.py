"""Writing ledger rows the way a drain records them, for tests of what reads them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from app.ledger import state
from app.ledger.records import AssessedContact
from app.ledger.store import Ledger
from app.rules import Assessment, Reason

TARGET_INDUSTRY = Reason("target-industry", "Target industry", 25)


def assessment(
    fit: int = 40,
    engagement: int = 10,
    grade: str = "B3",
    stage: str | None = None,
    reasons: tuple[Reason, ...] = (TARGET_INDUSTRY,),
    model: str = "m1",
) -> Assessment:
    return Assessment(fit, engagement, fit + engagement, grade, stage, (), model, reasons)


def record_drain(
    ledger: Ledger,
    assessed: Sequence[AssessedContact],
    missing: Sequence[str],
    errors: Mapping[str, str],
    watermark: int,
    at: datetime,
) -> None:
    """Record in one transaction what a drain records for these contacts (app/sync/pipeline.py)."""
    with ledger.transaction() as connection:
        state.record_assessed(connection, assessed)
        state.mark_deleted(connection, missing, at)
        state.record_error(connection, errors)
        state.mark_processed(connection, [*(a.contact_id for a in assessed), *missing], watermark, at)
