"""What `leadflow model publish` and `leadflow model history` print (docs/scoring-model.md, "Publishing a model").

`history` lists the published versions newest first, each with when and where from it was published, its diff's
size, the re-score it started, the backtests it was the candidate of and the KPIs of the lead cycles that became
MQLs under it (the KPI facts whose `model_at_mql` is the version, over all time up to `--as-of`, computed exactly as
the KPI report's); then the candidates backtested but never published. Input the user can fix ends the command with
one line and exit status 2.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from app.cli_errors import UserInputError
from app.rules.calibration.backtest_runs import BacktestRun
from app.rules.kpis import LeadCycle, format_instant
from app.rules.kpis.breakdowns import breakdown
from app.rules.kpis.figures import WindowFigures
from app.rules.kpis.table import percent
from app.rules.scoring.versions import PublishedVersion, diff_stats
from app.sync.scoring.publishing import PublishReport

ALL_TIME = datetime(1970, 1, 1, tzinfo=UTC)  # the history's KPIs count every lead cycle up to --as-of
KPI_RATES = ("mql_to_sql", "sales_acceptance", "closed_won")


class ModelInputError(UserInputError):
    """Input of `leadflow model` the user can fix (an invalid model, a refused version): one line, exit status 2."""


def publish_lines(report: PublishReport, dry_run: bool) -> list[str]:
    """Return what `leadflow model publish` says: the verdict, the warning, the diff's size, the re-score."""
    verdict = report.verdict
    if verdict.decision == "already":
        return [f"{verdict.reason}: nothing to do"]
    stats = diff_stats(verdict.diff)
    lines = [f"warning: {verdict.warning}"] if verdict.warning else []
    if dry_run:
        return [*lines, f"would publish model {report.version!r} ({stats.describe()}); --dry-run: nothing recorded"]
    if not report.recorded:
        return [*lines, f"model {report.version!r} was published meanwhile by another run: nothing to do"]
    if verdict.diff.startswith("--- /dev/null"):
        lines.append(f"published model {report.version!r}: the first version recorded ({stats.added} lines)")
    else:
        lines.append(f"published model {report.version!r} ({stats.describe()} against the version before)")
        lines += [f"  {line}" for line in _changed_lines(verdict.diff)]
    if report.rescore_run is not None:
        lines.append(f"re-score {report.rescore_run} started: the workers re-score the portal in the background")
    elif report.rescore_error is None:
        lines.append("no re-score started (--no-rescore): run `leadflow rescore --all` to apply it to every contact")
    return lines


def _changed_lines(diff: str, limit: int = 20) -> list[str]:
    """The diff's changed lines (at most `limit`, then how many more)."""
    lines = diff.splitlines()[2:]
    changed = [line for line in lines if line.startswith(("+", "-"))]
    shown = changed[:limit]
    return shown + ([f"… {len(changed) - limit} more changed lines"] if len(changed) > limit else [])


def history_output(
    versions: Sequence[PublishedVersion],
    facts: Sequence[LeadCycle],
    as_of: datetime,
    as_json: bool,
    backtests: Sequence[BacktestRun] = (),
) -> str:
    """Return what `leadflow model history` prints: the versions newest first with the KPIs under each, and the
    backtests each was the candidate of (`backtests`: the ledger's, newest first)."""
    figures = version_figures(facts, as_of)
    newest_first = list(reversed(versions))
    names = {v.version for v in versions}
    unpublished = {model: found for model, found in figures.items() if model not in names}
    runs = runs_by_candidate(backtests)
    only_backtested = {name: found for name, found in runs.items() if name not in names}
    if as_json:
        document = {
            "as_of": format_instant(as_of),
            "versions": [
                {**_version_document(version, figures.get(version.version)),
                 "backtests": [_backtest_document(run) for run in runs.get(version.version, [])]}
                for version in newest_first
            ],
            "unpublished": {model: _kpis_document(found) for model, found in unpublished.items()},
            "backtested": {name: [_backtest_document(run) for run in found] for name, found in only_backtested.items()},
        }  # fmt: skip
        return json.dumps(document, ensure_ascii=False, indent=2)
    if not versions:
        lines = ["no model version published yet (`leadflow model publish config/scoring.yaml`)"]
    else:
        lines = [
            line
            for version in newest_first
            for line in [
                *_version_lines(version, figures.get(version.version)),
                *_backtest_lines(runs, version.version),
            ]
        ]
    for model, found in unpublished.items():
        lines += [f"{model}  never published (scores written before publishing was recorded)", _kpi_line(found)]
    for name in only_backtested:
        lines += [f"{name}  never published", *_backtest_lines(runs, name)]
    return "\n".join(lines)


def runs_by_candidate(backtests: Sequence[BacktestRun]) -> dict[str, list[BacktestRun]]:
    """Return the backtests by candidate model, each list in the given order (newest first)."""
    found: dict[str, list[BacktestRun]] = {}
    for run in backtests:
        found.setdefault(run.candidate_model, []).append(run)
    return found


def _backtest_lines(runs: Mapping[str, Sequence[BacktestRun]], name: str) -> list[str]:
    """One line on the backtests the model was the candidate of (none without one): how many, and the last."""
    found = runs.get(name)
    if not found:
        return []
    last = found[0]
    return [
        f"  backtested {len(found)} time(s) as a candidate; the last {_moment(last.ran_at)} against "
        f"{last.current_model}: MQLs {last.mqls[0]} → {last.mqls[1]}, verdict {last.verdict}"
    ]


def _backtest_document(run: BacktestRun) -> dict[str, Any]:
    return {
        "ran_at": format_instant(run.ran_at),
        "current_model": run.current_model,
        "contacts": run.contacts,
        "mqls": {"current": run.mqls[0], "candidate": run.mqls[1]},
        "sqls": {"current": run.sqls[0], "candidate": run.sqls[1]},
        "verdict": run.verdict,
    }


def version_figures(facts: Sequence[LeadCycle], as_of: datetime) -> dict[str, WindowFigures]:
    """Return the KPI figures per model at MQL (the `model` breakdown over all time up to `as_of`)."""
    found = breakdown(facts, "model", ALL_TIME, as_of + timedelta(microseconds=1), as_of)
    return {model: figures for model, figures in found.items() if figures.funnel["mqls"]}


def published_dates(versions: Sequence[PublishedVersion]) -> dict[str, datetime]:
    """Return when each version was published (the KPI breakdown by model shows it)."""
    return {version.version: version.published_at for version in versions}


def _version_lines(version: PublishedVersion, figures: WindowFigures | None) -> list[str]:
    stats = diff_stats(version.diff)
    rescore = f"re-score {version.rescore_run}" if version.rescore_run else "no re-score recorded"
    return [
        f"{version.version}  published {_moment(version.published_at)} from {version.source}  "
        f"{stats.describe()}  {rescore}",
        _kpi_line(figures),
    ]


def _kpi_line(figures: WindowFigures | None) -> str:
    if figures is None:
        return "  no MQL under this version yet"
    funnel, rates = figures.funnel, figures.rates
    return (
        f"  MQLs {funnel['mqls']}  MQL→SQL {percent(rates['mql_to_sql'])}  "
        f"acceptance {percent(rates['sales_acceptance'])}  won {funnel['won']} ({percent(rates['closed_won'])})"
    )


def _version_document(version: PublishedVersion, figures: WindowFigures | None) -> dict[str, Any]:
    stats = diff_stats(version.diff)
    return {
        "version": version.version,
        "published_at": format_instant(version.published_at),
        "source": version.source,
        "content_hash": version.content_hash,
        "diff": {"added": stats.added, "removed": stats.removed},
        "rescore_run": version.rescore_run,
        "kpis": _kpis_document(figures),
    }


def _kpis_document(figures: WindowFigures | None) -> dict[str, Any]:
    if figures is None:
        return {"mqls": 0, "sqls": 0, "accepted": 0, "won": 0, **{key: None for key in KPI_RATES}}
    counts = {key: figures.funnel[key] for key in ("mqls", "sqls", "accepted", "won")}
    return {**counts, **{key: figures.rates[key].value for key in KPI_RATES}}


def _moment(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
