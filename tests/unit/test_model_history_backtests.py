"""`leadflow model history` lists the backtests each version was the candidate of, and the candidates backtested
but never published (docs/scoring-model.md, "Publishing a model")."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from app.model_report import history_output
from app.rules.calibration.backtest_runs import BacktestRun, CandidateFile
from app.rules.calibration.backtest_verdict import Judgement
from app.rules.scoring.versions import PublishedVersion

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def run(candidate: str, hours: int, verdict: Judgement = "better") -> BacktestRun:
    at = AT + timedelta(hours=hours)
    return BacktestRun(at, None, None, at, at, 90, "m1", candidate, CandidateFile("/srv/c.yaml", "a" * 64), 300,
                       (12, 15), (4, 6), verdict, {})  # fmt: skip


VERSIONS = [PublishedVersion(name, "h" * 64, "model: x\n", AT + timedelta(days=n), "", "/srv/scoring.yaml")
            for n, name in enumerate(("m1", "m2"))]  # fmt: skip
RUNS = [run("m3", 30, "can't tell"), run("m2", 20), run("m2", 10, "worse")]  # newest first, as the ledger reads them


def test_each_version_says_how_often_it_was_backtested_and_the_last_verdict() -> None:
    assert history_output(VERSIONS, [], AT + timedelta(days=3), False, RUNS).splitlines() == [
        "m2  published 2026-12-02 09:00 UTC from /srv/scoring.yaml  +0 -0 lines  no re-score recorded",
        "  no MQL under this version yet",
        "  backtested 2 time(s) as a candidate; the last 2026-12-02 05:00 UTC against m1: MQLs 12 → 15, verdict better",
        "m1  published 2026-12-01 09:00 UTC from /srv/scoring.yaml  +0 -0 lines  no re-score recorded",
        "  no MQL under this version yet",
        "m3  never published",
        "  backtested 1 time(s) as a candidate; the last 2026-12-02 15:00 UTC against m1: MQLs 12 → 15, verdict "
        "can't tell",
    ]


def test_the_json_lists_every_backtest_of_each_version() -> None:
    document = json.loads(history_output(VERSIONS, [], AT + timedelta(days=3), True, RUNS))
    by_version = {v["version"]: v["backtests"] for v in document["versions"]}
    assert [b["ran_at"] for b in by_version["m2"]] == ["2026-12-02T05:00:00Z", "2026-12-01T19:00:00Z"]
    assert by_version["m1"] == []
    assert by_version["m2"][1] == {"ran_at": "2026-12-01T19:00:00Z", "current_model": "m1", "contacts": 300,
                                   "mqls": {"current": 12, "candidate": 15}, "sqls": {"current": 4, "candidate": 6},
                                   "verdict": "worse"}  # fmt: skip
    assert list(document["backtested"]) == ["m3"]
