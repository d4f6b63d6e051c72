"""Fixtures of the fault suite: the test-only configuration, the clean run (played once), and the report.

Every run gets a fresh twin, a fresh ledger (a SQLite file or a PostgreSQL schema) and the tests' Redis database
(tests/conftest.py) flushed before it. The clean run is played once per session (per xdist worker that runs a
scenario), on SQLite, and every faulted run is compared with it. Each scenario adds its lines to the report
printed at the end of the session (tests/faults/report.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import CONFIG_DIR
from tests.faults.harness import Knobs, Run, target
from tests.faults.outcome import Outcome, ReportRow, snapshot
from tests.faults.report import REPORT_KEY
from tests.faults.scenario import MANAGER, TERRITORY_OWNERS, routing_yaml
from tests.faults.sla import sla_yaml


@pytest.fixture(scope="session")
def faults_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped scoring, signal and handover rules, with routing that no processing order can change and an SLA
    for SQLs on a calendar open around the clock (tests/faults/sla.py)."""
    directory = tmp_path_factory.mktemp("faults-config")
    for name in ("scoring.yaml", "signals.yaml", "handover.yaml"):
        shutil.copy(CONFIG_DIR / name, directory / name)
    (directory / "routing.yaml").write_text(routing_yaml())
    (directory / "sla.yaml").write_text(sla_yaml({owner: MANAGER for owner in TERRITORY_OWNERS.values()}))
    return directory


@pytest.fixture(scope="session")
def clean_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, faults_config: Path
) -> tuple[Outcome, Run]:
    """The scenario without faults (on SQLite): what every faulted run must end up with."""
    base = tmp_path_factory.mktemp("clean")
    with target("sqlite", base, faults_config) as where, Run("clean", where, Knobs()) as run:
        run.play_all()
        outcome = snapshot(run)
    changes = sum(v for k, v in run.stats.notes.items() if k.startswith("changes:"))
    summary = (
        f"{changes} changes in {len(run.stats.phase_seconds)} phases, {run.dispatcher.stats().events} webhook events"
    )
    row = ReportRow("clean run (the reference)", "sqlite", "nothing", f"nothing; {summary}", 0, outcome.duplicates(),
                    run.stats.converge_seconds, outcome.summary(), "the reference")  # fmt: skip
    request.config.stash[REPORT_KEY].append(row)
    return outcome, run


@pytest.fixture
def report(request: pytest.FixtureRequest) -> list[ReportRow]:
    return request.config.stash[REPORT_KEY]
