"""The KPI report of docs/kpis.md: a pure function of lead-cycle facts, a window `[from, to)` and `as_of`.

`compute_kpis` returns the figures with their denominators (the table shows them); `kpi_report` returns exactly
the contract's JSON object. A fact "has reached" a time field when it is set and `<= as_of`; only reached fields
count. C, the MQL cohort, holds the facts whose `mql_at` is reached and in the window; L, the lead cohort, those
whose `created_at` is.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from app.rules.kpis.document import report_document
from app.rules.kpis.facts import LeadCycle, format_instant, in_utc
from app.rules.kpis.figures import (
    Conversion,
    Durations,
    GradeFigures,
    KpiReport,
    Ratio,
    WindowFigures,
    whole_seconds,
)
from app.rules.kpis.periods import Period, periods

# The funnel's counts over C: each the members of C that reached the field.
COHORT_COUNTS = {
    "sqls": "sql_at", "handed_over": "handed_over_at", "worked": "first_touch_at", "accepted": "accepted_at",
    "rejected": "rejected_at", "deals": "deal_created_at", "won": "won_at", "lost": "lost_at",
}  # fmt: skip
# rate key → (numerator, denominator) as funnel keys; `win` and `sla_met` have their own denominators.
FUNNEL_RATES = {
    "lead_to_mql": ("leads_qualified", "leads"), "mql_to_sql": ("sqls", "mqls"),
    "sales_acceptance": ("accepted", "handed_over"), "worked": ("worked", "handed_over"),
    "closed_won": ("won", "mqls"),
}  # fmt: skip
TIMES = {
    "time_to_lead": ("qualified_signal_at", "handed_over_at"),
    "time_to_response": ("handed_over_at", "first_touch_at"),
    "time_to_touch": ("qualified_signal_at", "first_touch_at"),
}
# The conversion steps, in order; the mql step is every member of C (no field).
STEPS: tuple[tuple[str, str | None], ...] = (
    ("mql", None), ("sql", "sql_at"), ("accepted", "accepted_at"), ("deal", "deal_created_at"), ("won", "won_at"),
)  # fmt: skip
NONE = "none"  # the key of a null grade or rejection reason


def kpi_report(
    facts: Iterable[LeadCycle], window_from: datetime, window_to: datetime, as_of: datetime, by: Period | None = None
) -> dict[str, Any]:
    """Return the contract's JSON object of the KPI report (docs/kpis.md)."""
    return report_document(compute_kpis(facts, window_from, window_to, as_of, by))


def compute_kpis(
    facts: Iterable[LeadCycle], window_from: datetime, window_to: datetime, as_of: datetime, by: Period | None = None
) -> KpiReport:
    """Return the KPI report of the facts for the window `[window_from, window_to)` as of `as_of`."""
    facts, window_from, window_to, as_of = tuple(facts), in_utc(window_from), in_utc(window_to), in_utc(as_of)
    if not window_from < window_to:
        raise ValueError(f"the window is empty: from {format_instant(window_from)} is not before to "
                         f"{format_instant(window_to)}")  # fmt: skip
    cohort = members(facts, "mql_at", window_from, window_to, as_of)
    return KpiReport(
        as_of=as_of,
        window=window_figures(facts, window_from, window_to, as_of),
        conversion=conversion(cohort, as_of),
        by_grade=by_grade(cohort, as_of),
        rejection_reasons=rejection_reasons(cohort, as_of),
        periods=None if by is None else tuple(
            window_figures(facts, start, end, as_of) for start, end in periods(window_from, window_to, by)
        ),
    )  # fmt: skip


def reached(fact: LeadCycle, field: str, as_of: datetime) -> bool:
    """Return whether the fact's time `field` is set and `<= as_of`."""
    moment: datetime | None = getattr(fact, field)
    return moment is not None and moment <= as_of


def members(
    facts: Iterable[LeadCycle], field: str, window_from: datetime, window_to: datetime, as_of: datetime
) -> list[LeadCycle]:
    """Return the facts whose `field` is reached and lies in `[window_from, window_to)`: a cohort."""
    return [fact for fact in facts if reached(fact, field, as_of) and window_from <= getattr(fact, field) < window_to]


def count_reached(cohort: Iterable[LeadCycle], field: str, as_of: datetime) -> int:
    """Return how many facts of the cohort reached `field`."""
    return sum(1 for fact in cohort if reached(fact, field, as_of))


def window_figures(
    facts: Sequence[LeadCycle], window_from: datetime, window_to: datetime, as_of: datetime
) -> WindowFigures:
    """Return the funnel, rates and times of the window."""
    leads = members(facts, "created_at", window_from, window_to, as_of)
    cohort = members(facts, "mql_at", window_from, window_to, as_of)
    counts = funnel(leads, cohort, as_of)
    return WindowFigures(window_from, window_to, counts, rates(counts, cohort, as_of), times(cohort, as_of))


def funnel(leads: Sequence[LeadCycle], cohort: Sequence[LeadCycle], as_of: datetime) -> dict[str, int]:
    """Return the funnel's counts: L's size and its members that reached mql_at, then C's counts."""
    return {
        "leads": len(leads),
        "leads_qualified": count_reached(leads, "mql_at", as_of),
        "mqls": len(cohort),
        **{key: count_reached(cohort, field, as_of) for key, field in COHORT_COUNTS.items()},
    }


def rates(counts: Mapping[str, int], cohort: Sequence[LeadCycle], as_of: datetime) -> dict[str, Ratio]:
    """Return the rates of the funnel's counts, `win` and `sla_met`, in the contract's order."""
    found = {key: Ratio(counts[part], counts[whole]) for key, (part, whole) in FUNNEL_RATES.items()}
    found["win"] = Ratio(counts["won"], counts["won"] + counts["lost"])
    found["sla_met"] = sla_met(cohort, as_of)
    return found


def sla_met(cohort: Iterable[LeadCycle], as_of: datetime) -> Ratio:
    """Return, among the decided handovers with a due time, those touched by it (docs/kpis.md, `sla_met`)."""
    decided = [fact for fact in cohort if _has_deadline(fact, as_of) and _decided(fact, as_of)]
    met = [fact for fact in decided if _met(fact, as_of)]
    return Ratio(len(met), len(decided))


def _has_deadline(fact: LeadCycle, as_of: datetime) -> bool:
    return reached(fact, "handed_over_at", as_of) and fact.due_at is not None


def _decided(fact: LeadCycle, as_of: datetime) -> bool:
    """A handover is decided once touched, or once its due time has passed (which need not be reached to count)."""
    return reached(fact, "first_touch_at", as_of) or (fact.due_at is not None and fact.due_at <= as_of)


def _met(fact: LeadCycle, as_of: datetime) -> bool:
    touched, due = fact.first_touch_at, fact.due_at
    return touched is not None and due is not None and touched <= as_of and touched <= due


def times(cohort: Sequence[LeadCycle], as_of: datetime) -> dict[str, Durations]:
    """Return each delay of TIMES over the members of C with both ends reached and the end not before the start."""
    return {key: durations(cohort, start, end, as_of) for key, (start, end) in TIMES.items()}


def durations(cohort: Iterable[LeadCycle], start: str, end: str, as_of: datetime) -> Durations:
    """Return the whole seconds from `start` to `end` of the members that reached both, negatives left out."""
    found = (
        whole_seconds(getattr(fact, start), getattr(fact, end))
        for fact in cohort
        if reached(fact, start, as_of) and reached(fact, end, as_of)
    )
    return Durations.of(seconds for seconds in found if seconds is not None)


def conversion(cohort: Sequence[LeadCycle], as_of: datetime) -> tuple[Conversion, ...]:
    """Return the four steps mql→sql→accepted→deal→won, each over C's members that reached its start (not chained)."""
    return tuple(_step(cohort, start, end, as_of) for start, end in itertools.pairwise(STEPS))


def _step(
    cohort: Sequence[LeadCycle], start: tuple[str, str | None], end: tuple[str, str | None], as_of: datetime
) -> Conversion:
    entered = [fact for fact in cohort if _reached_step(fact, start[1], as_of)]
    converted = [fact for fact in entered if _reached_step(fact, end[1], as_of)]
    return Conversion(start[0], end[0], Ratio(len(converted), len(entered)))


def _reached_step(fact: LeadCycle, field: str | None, as_of: datetime) -> bool:
    return field is None or reached(fact, field, as_of)


def by_grade(cohort: Iterable[LeadCycle], as_of: datetime) -> dict[str, GradeFigures]:
    """Return C's figures per grade at MQL (`none` for a member without one), sorted by grade."""
    grades: dict[str, list[LeadCycle]] = {}
    for fact in cohort:
        grades.setdefault(NONE if fact.grade_at_mql is None else fact.grade_at_mql, []).append(fact)
    return {grade: grade_figures(grades[grade], as_of) for grade in sorted(grades)}


def grade_figures(grade: Sequence[LeadCycle], as_of: datetime) -> GradeFigures:
    """Return one grade's counts, and its rates over its own denominators."""
    accepted, won = count_reached(grade, "accepted_at", as_of), count_reached(grade, "won_at", as_of)
    handed_over = count_reached(grade, "handed_over_at", as_of)
    return GradeFigures(len(grade), accepted, won, Ratio(accepted, handed_over), Ratio(won, len(grade)))


def reason_key(reason: str | None) -> str:
    """Return the key a rejection reason is counted under: the recorded text, `none` for a null one."""
    return NONE if reason is None else reason


def rejection_reasons(cohort: Iterable[LeadCycle], as_of: datetime) -> dict[str, int]:
    """Return C's reached rejections counted by reason (`none` for a null reason), sorted by reason."""
    counts = Counter(reason_key(fact.rejection_reason) for fact in cohort if reached(fact, "rejected_at", as_of))
    return dict(sorted(counts.items()))
