"""Planning the score write: the contact properties an assessment sets, and only those that change."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from app.rules.scoring.assessment import Assessment, render_reasons

FIT_SCORE = "leadflow_fit_score"
ENGAGEMENT_SCORE = "leadflow_engagement_score"
SCORE = "leadflow_score"
GRADE = "leadflow_grade"
STAGE = "leadflow_stage"
REASONS = "leadflow_score_reasons"
MODEL = "leadflow_model"
SCORED_AT = "leadflow_scored_at"

SCORE_PROPERTIES = (FIT_SCORE, ENGAGEMENT_SCORE, SCORE, GRADE, STAGE, REASONS, MODEL, SCORED_AT)
NUMERIC_PROPERTIES = frozenset({FIT_SCORE, ENGAGEMENT_SCORE, SCORE})


def score_values(assessment: Assessment) -> dict[str, str]:
    """Return the property values that show `assessment` in HubSpot (without the time stamp)."""
    return {
        FIT_SCORE: str(assessment.fit),
        ENGAGEMENT_SCORE: str(assessment.engagement),
        SCORE: str(assessment.score),
        GRADE: assessment.grade,
        STAGE: assessment.stage or "",
        REASONS: render_reasons(assessment.reasons),
        MODEL: assessment.model,
    }


def plan_score_writes(assessment: Assessment, current: Mapping[str, str | None], now: datetime) -> dict[str, str]:
    """Return the properties whose HubSpot value differs from the assessment, stamped with `now` if any."""
    changed = {
        name: value for name, value in score_values(assessment).items() if not _same(name, current.get(name), value)
    }
    if changed:
        changed[SCORED_AT] = format_datetime(now)
    return changed


def format_datetime(moment: datetime) -> str:
    """Return `moment` as HubSpot writes datetimes: ISO 8601 in UTC with milliseconds and `Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _same(name: str, current: str | None, wanted: str) -> bool:
    if (current or "") == wanted:
        return True
    if name in NUMERIC_PROPERTIES and current:
        try:
            return float(current) == float(wanted)
        except ValueError:
            return False
    return False
