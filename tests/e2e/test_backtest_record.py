"""`leadflow backtest` records each run in the ledger (docs/calibration.md, "Recorded"), on the ledger the real
drain filled (tests/e2e/test_backtest.py's three leads, SQLite and PostgreSQL): the row's figures are the printed
JSON's, the candidate's file and content hash are kept, `--no-record` and a refused candidate record nothing, and
the text ends with the verdict the recorded document gives."""

from __future__ import annotations

import json
from pathlib import Path

from app.rules.calibration.backtest_runs import bounded_document
from app.rules.calibration.backtest_verdict import document_verdict
from app.rules.scoring.versions import content_hash
from tests.conftest import REDIS_URL
from tests.e2e.test_backtest import ROOT, Filled, filled, inverted  # noqa: F401  (`filled` is the fixture)
from tests.support.app import command_env
from tests.support.processes import describe, run_command

LEADFLOW = str(Path(__import__("sys").prefix) / "bin" / "leadflow")


def test_each_run_is_recorded_with_the_figures_it_printed(filled: Filled, ledger_url: str, tmp_path: Path) -> None:  # noqa: F811
    env = command_env(tmp_path, ledger_url, filled.server_url, REDIS_URL, "leadflow-backtest-record")
    ledger = filled.portal.container.ledger
    candidate = inverted(tmp_path)
    printed = run_command([LEADFLOW, "backtest", "--model", str(candidate), "--json"], env, tmp_path)
    assert printed.returncode == 0, describe(printed)
    document = json.loads(printed.stdout)
    (run,) = ledger.backtests.runs()
    assert run.document == bounded_document(document)
    totals = document["totals"]
    assert (run.current_model, run.candidate_model) == (document["models"]["current"], "inverted-weights")
    assert (run.contacts, run.mqls, run.sqls) == (
        document["contacts"],
        (totals["current"]["mql"], totals["candidate"]["mql"]),
        (totals["current"]["sql"], totals["candidate"]["sql"]),
    )
    assert (run.mqls, run.contacts) == ((2, 0), 3)
    assert run.verdict == document["verdict"]["judgement"] == "can't tell"  # one known positive: too few
    assert run.candidate.path == str(candidate.resolve())
    assert run.candidate.content_hash == content_hash(candidate.read_text(), str(candidate))
    assert run.window_from is None and run.mature_days == 90 and run.ran_by

    quiet = run_command([LEADFLOW, "backtest", "--model", str(candidate), "--no-record"], env, tmp_path)
    assert quiet.returncode == 0, describe(quiet)
    assert quiet.stdout.rstrip().splitlines()[-4:] == document_verdict(run.document).lines()
    broken = tmp_path / "broken.yaml"
    broken.write_text(candidate.read_text().replace("points:", "points: lots", 1))
    refused = run_command([LEADFLOW, "backtest", "--model", str(broken)], env, tmp_path)
    assert refused.returncode == 2, describe(refused)
    assert [r.id for r in ledger.backtests.runs()] == [run.id]
