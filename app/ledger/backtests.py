"""Backtest runs in the ledger (`leadflow backtest`, docs/calibration.md "Verdict and record"): one row per run, the
newest KEEP kept (a run's document is bounded, so 50 rows stay small; older runs are for the text the command
printed then, not for the dashboard), read back newest first as the rules' BacktestRun. An erased contact leaves
the documents' contact lists (docs/data-protection.md)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from app.ledger.models import BACKTESTS
from app.rules.calibration.backtest_runs import CONTACT_LISTS, BacktestRun, CandidateFile

KEEP = 50  # the newest runs kept


def record_backtest(connection: Connection, run: BacktestRun) -> int:
    """Record a run and drop those older than the newest KEEP; return its id."""
    values = {
        "ran_at": run.ran_at, "ran_by": run.ran_by, "window_from": run.window_from, "window_to": run.window_to,
        "as_of": run.as_of, "mature_days": run.mature_days, "current_model": run.current_model,
        "candidate_model": run.candidate_model, "candidate_path": run.candidate.path,
        "candidate_hash": run.candidate.content_hash, "contacts": run.contacts, "current_mqls": run.mqls[0],
        "candidate_mqls": run.mqls[1], "current_sqls": run.sqls[0], "candidate_sqls": run.sqls[1],
        "verdict": run.verdict, "document": dict(run.document),
    }  # fmt: skip
    found = connection.execute(insert(BACKTESTS).values(values).returning(BACKTESTS.c.id)).scalar_one()
    oldest_kept = select(BACKTESTS.c.id).order_by(BACKTESTS.c.id.desc()).offset(KEEP - 1).limit(1).scalar_subquery()
    connection.execute(delete(BACKTESTS).where(BACKTESTS.c.id < oldest_kept))
    return int(found)


def latest_backtest(connection: Connection) -> BacktestRun | None:
    """Return the newest run, or None before the first."""
    row = connection.execute(select(BACKTESTS).order_by(BACKTESTS.c.id.desc()).limit(1)).first()
    return None if row is None else _run(row)


def backtests(connection: Connection, candidates: Collection[str] | None = None) -> list[BacktestRun]:
    """Return the runs kept, newest first; only those of these candidate models when given."""
    statement = select(BACKTESTS).order_by(BACKTESTS.c.id.desc())
    if candidates is not None:
        statement = statement.where(BACKTESTS.c.candidate_model.in_(list(candidates)))
    return [_run(row) for row in connection.execute(statement)]


def forget_contacts(connection: Connection, contact_ids: Collection[str]) -> int:
    """Drop these contacts' entries from every recorded document's contact lists (the lists' counts stay: they say
    how many, never whose); return how many runs changed."""
    gone = set(contact_ids)
    changed = 0
    for run_id, document in connection.execute(select(BACKTESTS.c.id, BACKTESTS.c.document)).all():
        kept = {key: [e for e in document.get(key) or [] if e.get("contact") not in gone] for key in CONTACT_LISTS}
        if any(len(kept[key]) != len(document.get(key) or []) for key in CONTACT_LISTS):
            connection.execute(update(BACKTESTS).where(BACKTESTS.c.id == run_id).values(document={**document, **kept}))
            changed += 1
    return changed


def _run(row: Row[Any]) -> BacktestRun:
    found = row._mapping
    return BacktestRun(
        found["ran_at"], found["ran_by"], found["window_from"], found["window_to"], found["as_of"],
        found["mature_days"], found["current_model"], found["candidate_model"],
        CandidateFile(found["candidate_path"], found["candidate_hash"]), found["contacts"],
        (found["current_mqls"], found["candidate_mqls"]), (found["current_sqls"], found["candidate_sqls"]),
        found["verdict"], found["document"], found["id"],
    )  # fmt: skip
