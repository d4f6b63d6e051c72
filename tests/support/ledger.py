"""Writing ledger rows the way a drain records them, for tests of what reads them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from app.ledger import state
from app.ledger.nurture import NewOffer
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


def record_nurture_paths(ledger: Ledger, now: datetime) -> None:
    """Record four contacts' nurture paths before `now`, as the drain would (offers, a completion, a conversion):

    901: checklist 70 days ago, completed a day later, an MQL 10 days after it (its path ends in MQL)
    902: checklist 65 days ago, the webinar 7 days later; no MQL (stops at the webinar)
    903: checklist 50 days ago, nothing after (stops)
    904: checklist 5 days ago (not matured for an MQL within 30 days; stops, as of now)
    """
    ledger.nurture.record_offers([
        NewOffer("901", "awareness", "checklist", now - timedelta(days=70)),
        NewOffer("902", "awareness", "checklist", now - timedelta(days=65)),
        NewOffer("902", "awareness", "webinar-invite", now - timedelta(days=58)),
        NewOffer("903", "awareness", "checklist", now - timedelta(days=50)),
        NewOffer("904", "awareness", "checklist", now - timedelta(days=5)),
    ])  # fmt: skip
    ledger.nurture.record_completed([("901", "checklist", now - timedelta(days=69))])
    ledger.nurture.record_converted(["901"], now - timedelta(days=60))
