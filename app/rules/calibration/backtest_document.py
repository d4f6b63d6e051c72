"""The backtest report as JSON and as text (docs/calibration.md, Backtest)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.rules.calibration.backtest import MODELS, BacktestReport, Earliest, ModelFigures, StageMove
from app.rules.calibration.document import rate_document
from app.rules.calibration.outcomes import OUTCOMES
from app.rules.kpis.facts import format_instant
from app.rules.kpis.figures import Ratio
from app.rules.kpis.table import interval, percent

TEXT_LIST_LIMIT = 20  # per list of contacts in the text; the JSON lists all


def backtest_document(report: BacktestReport) -> dict[str, Any]:
    """The report as one JSON object."""
    window = report.window
    return {
        "from": _instant(window.start),
        "to": _instant(window.end),
        "as_of": _instant(report.as_of),
        "models": {which: report.figures(which).model for which in MODELS},
        "contacts": report.contacts,
        "todays_values": report.todays_values,
        "weeks": [
            {
                "week": week,
                **{
                    w: {"mql": report.figures(w).mql_weeks[week], "sql": report.figures(w).sql_weeks[week]}
                    for w in MODELS
                },
            }
            for week in report.weeks
        ],
        "totals": {w: _totals(report.figures(w)) for w in MODELS},
        "gained": [_move(move) for move in report.gained],
        "lost": [_move(move) for move in report.lost],
        "earliest": [_earliest(found) for found in report.earliest],
        "handovers": {w: dict(sorted(report.figures(w).handovers.items())) for w in MODELS},
        "outcomes": {
            "handed_over": report.handed_over,
            "known_positives": report.known_positives,
            **{w: _outcomes(report, report.figures(w)) for w in MODELS},
        },
    }


def backtest_text(report: BacktestReport) -> list[str]:
    """The report as lines of text."""
    current, candidate = report.current, report.candidate
    start = "each contact's first signal" if report.window.start is None else format_instant(report.window.start)
    lines = [
        f"Backtest: current model {current.model} against candidate {candidate.model}",
        f"window: from {start} to {format_instant(report.window.end)}; outcomes as of {format_instant(report.as_of)}",
        f"contacts replayed: {report.contacts}",
    ]
    if report.todays_values:
        lines.append(
            f"warning: {report.todays_values} contact(s) replayed with today's values for properties HubSpot keeps "
            "no history of (as if they had always held)"
        )
    lines += ["", "MQLs and SQLs per ISO week (current | candidate):"]
    lines += [
        _week_line(week, current.mql_weeks[week], candidate.mql_weeks[week], current.sql_weeks[week],
                   candidate.sql_weeks[week])
        for week in report.weeks
    ]  # fmt: skip
    lines.append(_week_line("total", current.mqls, candidate.mqls, current.sqls, candidate.sqls))
    lines += ["", f"stages the candidate gains: {len(report.gained)}", *_moves(report.gained)]
    lines += [f"stages the candidate loses: {len(report.lost)}", *_moves(report.lost)]
    lines += ["", *_earliest_lines(report.earliest)]
    lines += ["", "handovers per owner pool (current | candidate):"]
    pools = sorted({*current.handovers, *candidate.handovers})
    lines += [f"  {pool}: {current.handovers[pool]} | {candidate.handovers[pool]}" for pool in pools] or ["  none"]
    known = ", ".join(f"{o} {report.known_positives[o]}" for o in OUTCOMES)
    lines += ["", f"outcomes: reality handed over {report.handed_over} of these contacts in the window ({known})"]
    for which in MODELS:
        figures = report.figures(which)
        lines.append(
            f"  {which} ({figures.model}): qualifies {figures.qualified}; {figures.with_outcome} with an outcome, "
            f"{figures.never_handed_over} never handed over in reality, {figures.qualified_late} qualified only after "
            "reality's handover or deal (no outcome of theirs, counted apart)"
        )
        for outcome in OUTCOMES:
            ratio = figures.outcomes[outcome].ratio
            captured = Ratio(ratio.part, report.known_positives[outcome])
            pending = figures.outcomes[outcome].pending
            lines.append(
                f"    {outcome}: {percent(ratio)} {interval(ratio)}".rstrip()
                + f"; pending {pending}; captures {captured.part} of {captured.whole}"
            )
    return lines


def _week_line(week: str, mqls: int, candidate_mqls: int, sqls: int, candidate_sqls: int) -> str:
    return f"  {week:<8}  mql {mqls:>5} | {candidate_mqls:<5}  sql {sqls:>5} | {candidate_sqls}"


def _instant(moment: datetime | None) -> str | None:
    return None if moment is None else format_instant(moment, exact=True)


def _totals(figures: ModelFigures) -> dict[str, int]:
    return {"mql": figures.mqls, "sql": figures.sqls, "qualified": figures.qualified}


def _move(move: StageMove) -> dict[str, Any]:
    return {"contact": move.contact_id, "stage": move.stage, "at": _instant(move.at)}


def _earliest(found: Earliest) -> dict[str, Any]:
    return {"contact": found.contact_id, "current": _instant(found.current), "candidate": _instant(found.candidate)}


def _outcomes(report: BacktestReport, figures: ModelFigures) -> dict[str, Any]:
    found = conversion_document(figures)
    for outcome in OUTCOMES:
        captured = Ratio(figures.outcomes[outcome].positives, report.known_positives[outcome])
        found[outcome]["captured"] = rate_document(captured)
    return found


def conversion_document(figures: ModelFigures) -> dict[str, Any]:
    """Return what a model's qualified contacts became: `{"qualified", "with_outcome", "never_handed_over",
    "qualified_late"}` and per outcome its rate with `pending`."""
    found: dict[str, Any] = {
        "qualified": figures.qualified,
        "with_outcome": figures.with_outcome,
        "never_handed_over": figures.never_handed_over,
        "qualified_late": figures.qualified_late,
    }
    for outcome in OUTCOMES:
        counts = figures.outcomes[outcome]
        found[outcome] = {**rate_document(counts.ratio), "pending": counts.pending}
    return found


def _moves(moves: Sequence[StageMove]) -> list[str]:
    shown = [f"  contact {m.contact_id}: {m.stage} at {format_instant(m.at)}" for m in moves[:TEXT_LIST_LIMIT]]
    return shown + (
        [f"  … {len(moves) - TEXT_LIST_LIMIT} more (--json lists all)"] if len(moves) > TEXT_LIST_LIMIT else []
    )


def _earliest_lines(found: Sequence[Earliest]) -> list[str]:
    both = [(e.current, e.candidate) for e in found if e.current is not None and e.candidate is not None]
    earlier = sum(1 for current, candidate in both if candidate < current)
    later = sum(1 for current, candidate in both if candidate > current)
    only_current = sum(1 for e in found if e.candidate is None)
    only_candidate = sum(1 for e in found if e.current is None)
    lines = [
        f"earliest qualification: {len(found)} contact(s) qualify under either model; under the candidate "
        f"{earlier} earlier, {later} later, {len(both) - earlier - later} at the same moment, {only_current} never "
        f"(only the current model qualifies them), {only_candidate} only under the candidate"
    ]
    changed = [e for e in found if e.current != e.candidate]
    for e in changed[:TEXT_LIST_LIMIT]:
        lines.append(f"  contact {e.contact_id}: current {_when(e.current)}, candidate {_when(e.candidate)}")
    if len(changed) > TEXT_LIST_LIMIT:
        lines.append(f"  … {len(changed) - TEXT_LIST_LIMIT} more (--json lists all)")
    return lines


def _when(moment: datetime | None) -> str:
    return "never" if moment is None else format_instant(moment)
