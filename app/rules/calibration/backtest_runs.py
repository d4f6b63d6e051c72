"""A backtest run as the ledger records it (docs/calibration.md, "Recorded"): when and by whom it ran, the candidate's
file and content hash, the headline figures, the verdict, and the JSON object `leadflow backtest --json` prints with
its per-contact lists cut to their first LISTED entries (at 100,000 contacts they would hold hundreds of thousands:
their full lengths and the stages gained and lost are counted in `listed`). Pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.rules.calibration.backtest import BacktestReport
from app.rules.calibration.backtest_verdict import Judgement, report_verdict

LISTED = 20  # contacts kept per list (gained, lost, earliest) in a recorded document, as the text prints
CONTACT_LISTS = ("gained", "lost", "earliest")


@dataclass(frozen=True)
class CandidateFile:
    """Where the candidate model was read from, and the sha256 of its content (app/rules/scoring/versions.py)."""

    path: str
    content_hash: str


@dataclass(frozen=True)
class BacktestRun:
    """One recorded backtest."""

    ran_at: datetime
    ran_by: str | None  # `user@host` of the command, when known
    window_from: datetime | None
    window_to: datetime
    as_of: datetime
    mature_days: int
    current_model: str
    candidate_model: str
    candidate: CandidateFile
    contacts: int
    mqls: tuple[int, int]  # (current, candidate), in the window
    sqls: tuple[int, int]
    verdict: Judgement
    document: Mapping[str, Any]  # bounded_document of what `--json` printed
    id: int | None = None  # the ledger's, once recorded


def backtest_run(
    report: BacktestReport,
    document: Mapping[str, Any],
    mature_days: int,
    candidate: CandidateFile,
    ran_at: datetime,
    ran_by: str | None = None,
) -> BacktestRun:
    """Return the record of a backtest's report and the JSON object printed for it."""
    current, other = report.current, report.candidate
    return BacktestRun(
        ran_at, ran_by, report.window.start, report.window.end, report.as_of, mature_days, current.model, other.model,
        candidate, report.contacts, (current.mqls, other.mqls), (current.sqls, other.sqls),
        report_verdict(report).judgement, bounded_document(document),
    )  # fmt: skip


def bounded_document(document: Mapping[str, Any], limit: int = LISTED) -> dict[str, Any]:
    """Return the document with each per-contact list cut to its first `limit` entries; `listed` says each list's
    full length (`counts`) and, for the stages gained and lost, how many per stage (`stages`)."""
    bounded = dict(document)
    lists = {key: found for key in CONTACT_LISTS if isinstance(found := document.get(key), list)}
    for key, entries in lists.items():
        bounded[key] = entries[:limit]
    bounded["listed"] = {
        "limit": limit,
        "counts": {key: len(entries) for key, entries in lists.items()},
        "stages": {key: _by_stage(lists.get(key, [])) for key in ("gained", "lost")},
    }
    return bounded


def _by_stage(moves: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    return dict(sorted(Counter(str(move["stage"]) for move in moves).items()))
