"""The KPI report broken down by owner, grade at MQL or scoring model (beyond docs/kpis.md's contract: its JSON
gains a `breakdowns` key only when asked). Each group's figures are the window's figures over that group's facts
alone, computed exactly as the report's (app/rules/kpis/report.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Literal

from app.rules.kpis.facts import LeadCycle, in_utc
from app.rules.kpis.figures import WindowFigures
from app.rules.kpis.report import NONE, window_figures

Breakdown = Literal["owner", "grade", "model"]
BREAKDOWNS: Mapping[Breakdown, Callable[[LeadCycle], str | None]] = {
    "owner": lambda fact: fact.owner,
    "grade": lambda fact: fact.grade_at_mql,
    "model": lambda fact: fact.model_at_mql,
}


def breakdown(
    facts: Iterable[LeadCycle], by: Breakdown, window_from: datetime, window_to: datetime, as_of: datetime
) -> dict[str, WindowFigures]:
    """Return the window's figures per group (`none` for facts without the key), groups sorted by key."""
    key = BREAKDOWNS[by]
    groups: dict[str, list[LeadCycle]] = {}
    for fact in facts:
        groups.setdefault(key(fact) or NONE, []).append(fact)
    start, end, moment = in_utc(window_from), in_utc(window_to), in_utc(as_of)
    return {group: window_figures(groups[group], start, end, moment) for group in sorted(groups)}
