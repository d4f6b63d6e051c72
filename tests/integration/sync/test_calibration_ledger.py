"""`leadflow calibrate` on the ledger: the lead cycles the drain, the feedback and the deal recorded are read as the
KPI report reads them, and the report equals the one of the ledger's exported facts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from tests.conftest import REDIS_URL
from tests.integration.sync.conftest import Portal
from tests.integration.sync.test_kpi_facts import won_lead


def test_leadflow_calibrate_on_the_ledger_equals_the_report_of_its_exported_facts(
    portal: Portal, ledger_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    won_lead(portal)
    for name, value in {"LEADFLOW_ENV": "development", "HUBSPOT_ACCESS_TOKEN": "pat-test", "DATABASE_URL": ledger_url,
                        "REDIS_URL": REDIS_URL, "HUBSPOT_API_BASE": "http://127.0.0.1:9"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    exported = tmp_path / "facts.jsonl"
    written = CliRunner().invoke(main, ["kpis", "--export-facts", str(exported)])
    assert written.exit_code == 0, written.output
    # Matured at once: the lead's deal and win are read (a days-old cycle would leave them pending).
    as_of = ["--as-of", f"{portal.clock():%Y-%m-%dT%H:%M:%S}Z", "--mature-days", "0", "--json"]
    from_ledger = CliRunner().invoke(main, ["calibrate", *as_of])
    from_file = CliRunner().invoke(main, ["calibrate", "--facts", str(exported), *as_of])
    assert from_ledger.exit_code == from_file.exit_code == 0, from_ledger.output + from_file.output
    document = json.loads(from_ledger.stdout)
    assert document == json.loads(from_file.stdout)
    assert document["cohort"] == {"cycles": 1, "scored": 1, "immature": 0, "models": ["default-2026-12"]}
    outcomes = document["outcomes"]
    assert [(outcomes[o]["positives"], outcomes[o]["known"]) for o in ("accepted", "deal", "won")] == [
        (1, 1), (1, 1), (1, 1)
    ]  # fmt: skip
    (band,) = document["by_band"]
    assert band["cycles"] == 1 and band["won"]["rate"] == 1.0
