"""Backtest runs in the ledger (SQLite and PostgreSQL): read back newest first as recorded, the document whole, the
newest KEEP kept, filtered by candidate model, and an erased contact gone from the documents' contact lists."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from app.ledger.backtests import KEEP
from app.ledger.store import Ledger
from app.rules.calibration.backtest_runs import BacktestRun, CandidateFile

AT = datetime(2026, 12, 1, 9, 0, 0, 123456, tzinfo=UTC)
DOCUMENT = {
    "models": {"current": "default-v1", "candidate": "<b>tuned</b>"},
    "weeks": [{"week": "2026-W48", "current": {"mql": 3, "sql": 1}, "candidate": {"mql": 5, "sql": 2}}],
    "listed": {"limit": 20, "counts": {"gained": 0, "lost": 0, "earliest": 0}},
}


def run(minutes: int = 0, candidate: str = "<b>tuned</b>", window_from: datetime | None = None) -> BacktestRun:
    at = AT + timedelta(minutes=minutes)
    return BacktestRun(
        at, "ann@build-7", window_from, at, at, 90, "default-v1", candidate,
        CandidateFile("/srv/candidate.yaml", "ab" * 32), 1200, (3, 5), (1, 2), "better", DOCUMENT,
    )  # fmt: skip


def without_id(found: BacktestRun) -> BacktestRun:
    return BacktestRun(*[getattr(found, name) for name in BacktestRun.__dataclass_fields__ if name != "id"])


def test_runs_are_read_back_newest_first_as_recorded(ledger: Ledger) -> None:
    assert ledger.backtests.latest() is None and ledger.backtests.runs() == []
    first = run(window_from=AT - timedelta(days=30))
    ids = [ledger.backtests.record(first), ledger.backtests.record(run(minutes=5))]
    assert ids[0] < ids[1]
    found = ledger.backtests.runs()
    assert [r.id for r in found] == ids[::-1]
    assert [without_id(r) for r in found] == [run(minutes=5), first]
    latest = ledger.backtests.latest()
    assert latest is not None and latest.id == ids[1] and latest.ran_at.tzinfo == UTC
    assert latest.document == DOCUMENT and latest.window_from is None and found[1].window_from == first.window_from


def test_only_the_newest_runs_are_kept(ledger: Ledger) -> None:
    ids = [ledger.backtests.record(run(minutes=n)) for n in range(KEEP + 2)]
    kept = ledger.backtests.runs()
    assert [r.id for r in kept] == ids[::-1][:KEEP]
    assert kept[-1].ran_at == AT + timedelta(minutes=2)


def test_runs_are_listed_by_candidate_model(ledger: Ledger) -> None:
    ledger.backtests.record(run(candidate="m2"))
    ledger.backtests.record(run(minutes=1, candidate="m3"))
    ledger.backtests.record(run(minutes=2, candidate="m2"))
    assert [(r.candidate_model, r.ran_at) for r in ledger.backtests.runs(["m2"])] == [
        ("m2", AT + timedelta(minutes=2)),
        ("m2", AT),
    ]
    assert ledger.backtests.runs([]) == []


def test_an_erased_contact_leaves_the_recorded_lists_and_their_counts_stay(ledger: Ledger) -> None:
    moves = [{"contact": contact, "stage": "mql", "at": "2026-11-30T10:00:00Z"} for contact in ("101", "202")]
    earliest = [{"contact": "101", "current": None, "candidate": "2026-11-30T10:00:00Z"}]
    listed = {"limit": 20, "counts": {"gained": 2, "lost": 0, "earliest": 1}}
    document = {**DOCUMENT, "gained": moves, "lost": [], "earliest": earliest, "listed": listed}
    ledger.backtests.record(replace(run(), document=document))
    ledger.backtests.record(run(minutes=1))  # lists nobody: unchanged
    ledger.privacy.forget(["101"], "forget", AT + timedelta(days=1))
    latest, erased = ledger.backtests.runs()
    assert latest.document == DOCUMENT
    assert erased.document == {**document, "gained": moves[1:], "earliest": []}
    assert ledger.privacy.erasures()[-1][1:] == ("forget", 1, 0)  # no row of the contact's own was deleted
