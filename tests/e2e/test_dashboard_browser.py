"""The dashboard in a real browser: Debian's Chromium (never a downloaded one) driven by Playwright, against a
running `leadflow web` on a ledger of lead cycles.

It logs in, sees the funnel drawn with the counts `leadflow kpis --json` prints for the same ledger and window, the
table beside it, the SLA panel refreshing by itself (a handover added to the ledger appears without a reload), and
downloads the CSV; "What the score predicts" shows the figures `leadflow calibrate --json` prints for the same
ledger and window; "Content that activates" shows the figures `leadflow nurture --report --json` prints for the
same offers and window; "Last backtest" shows the run the ledger recorded, with its verdict; without credentials
the page is refused. A screenshot is saved to test-artifacts/. Chromium missing is a failure, never a skip: `make
test` and `.ci/run` install it (`make chromium`).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from werkzeug.security import generate_password_hash

from app.ledger.database import create_ledger_engine
from app.ledger.models import HANDOVERS
from app.ledger.store import Ledger
from app.rules.calibration.table import decimals
from app.rules.kpis import format_instant
from app.rules.kpis.figures import Ratio
from app.rules.kpis.table import interval, percent
from bench.kpi_ledger import fill_kpi_ledger, handover_row
from tests.conftest import CLI_REDIS_URL, migrate_url
from tests.integration.test_dashboard_backtest import record_backtest
from tests.support.ledger import record_nurture_paths
from tests.support.processes import Service, free_port, run_command

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.prefix) / "bin"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
USER, PASSWORD = "ann", "browser-test-password"
NOW = datetime.now(UTC).replace(second=0, microsecond=0)
BACKTEST_VERDICT = "verdict: the candidate is worse than the current model on the known outcomes"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A ledger of lead cycles and `leadflow web` serving it with a dashboard account; yields (base URL, env)."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    migrate_url(url)
    engine = create_ledger_engine(url)
    fill_kpi_ledger(engine, 300, 150, NOW, days=60)
    record_nurture_paths(Ledger(engine), NOW)
    record_backtest(Ledger(engine), NOW - timedelta(hours=3))
    engine.dispose()
    port = free_port()
    tag = uuid.uuid4().hex[:12]
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "LEADFLOW_ENV": "development",
        "LEADFLOW_CONFIG": str(ROOT / "config"),
        "DATABASE_URL": url,
        "REDIS_URL": CLI_REDIS_URL,
        "REDIS_PREFIX": f"leadflow-dashboard-{tag}",
        "QUEUE_NAME": f"leadflow-dashboard-{tag}",
        "DASHBOARD_USERS": f"{USER}:{generate_password_hash(PASSWORD)}",
        "DASHBOARD_SLA_REFRESH_SECONDS": "1",
    }
    argv = [str(BIN / "leadflow"), "web", "--port", str(port)]
    with Service("web", argv, env, ROOT, tmp_path).start() as web:
        web.wait_for_port(port)
        yield f"http://127.0.0.1:{port}", env


def add_open_handover(database_url: str, contact: str) -> None:
    """Hand a new lead over now, untouched: the SLA panel must show it at its next refresh."""
    engine = create_ledger_engine(database_url)
    with engine.begin() as connection:
        connection.execute(insert(HANDOVERS), [handover_row(contact, "mql", "70000003", NOW, None, None, None, None)])
    engine.dispose()


def test_the_dashboard_in_chromium(served: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: install Debian's chromium (`make chromium`)"
    base, env = served
    start, end = NOW - timedelta(days=28), NOW
    query = f"from={format_instant(start)}&to={format_instant(end)}&as_of={format_instant(NOW)}"
    kpis = run_command([str(BIN / "leadflow"), "kpis", "--json", "--from", format_instant(start), "--to",
                        format_instant(end), "--as-of", format_instant(NOW)], env, ROOT)  # fmt: skip
    assert kpis.returncode == 0, kpis.stderr
    funnel = json.loads(kpis.stdout)["funnel"]
    expected = [funnel[key] for key in ("leads", "mqls", "sqls", "accepted", "deals", "won")]
    assert funnel["mqls"] > 0

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            anonymous = browser.new_context()  # Chromium aborts a navigation the server answers 401 without a prompt
            assert anonymous.request.get(f"{base}/dashboard").status == 401
            anonymous.close()

            context = browser.new_context(http_credentials={"username": USER, "password": PASSWORD},
                                          accept_downloads=True, viewport={"width": 1280, "height": 1600})  # fmt: skip
            page = context.new_page()
            response = page.goto(f"{base}/dashboard?{query}")
            assert response is not None and response.status == 200
            funnel_svg = page.locator("svg.funnel")
            assert funnel_svg.is_visible()
            counts = [int(text) for text in page.locator("svg.funnel tspan.funnel-count").all_text_contents()]
            assert counts == expected
            table = [int(text) for text in page.locator("#funnel-table td.count").all_text_contents()]
            assert table == expected
            assert page.locator(".tiles .sparkline").count() == 6 and page.locator("#backtest .sparkline").count() == 4
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

            check_calibration_panel(page, env, start, end)
            verdict = page.locator("#backtest-verdict")
            assert verdict.is_visible() and verdict.inner_text() == BACKTEST_VERDICT
            assert page.locator('#backtest-models tr[data-which="candidate"] td.mql').inner_text() == "4"
            page.locator("#backtest").screenshot(path=str(ARTIFACTS / "dashboard-backtest.png"))

            page.evaluate("window.__notReloaded = true")
            add_open_handover(env["DATABASE_URL"], "99999999")
            page.locator('#sla tr[data-contact="99999999"]').wait_for(timeout=15_000)
            assert page.evaluate("window.__notReloaded") is True

            with page.expect_download() as downloading:
                page.click("#download-csv")
            download = downloading.value
            rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
            assert rows[0]["from"] == format_instant(start)
            assert sum(int(row["mqls"]) for row in rows) == funnel["mqls"]

            nurture_from = NOW - timedelta(days=80)
            page.goto(f"{base}/dashboard?from={format_instant(nurture_from)}&to={format_instant(end)}"
                      f"&as_of={format_instant(NOW)}")  # fmt: skip
            report = run_command([str(BIN / "leadflow"), "nurture", "--report", "--json", "--from",
                                  format_instant(nurture_from), "--to", format_instant(end), "--as-of",
                                  format_instant(NOW)], env, ROOT)  # fmt: skip
            assert report.returncode == 0, report.stderr
            steps = {step["step"]: step for step in json.loads(report.stdout)["steps"] if step["reach"]}
            assert list(steps) == ["checklist", "webinar-invite"]
            shown = page.locator("#nurture-steps tbody tr")
            assert shown.count() == len(steps) and page.locator("#nurture-heading").is_visible()
            for step, figures in steps.items():
                row = page.locator(f'#nurture-steps tr[data-step="{step}"]')
                assert int(row.locator("td.reach").inner_text()) == figures["reach"]
                mql = figures["mql_within"]
                assert row.locator("td.mql").inner_text().startswith(f"{mql['rate'] * 100:.1f} % (n={mql['n']})")
            checklist = page.locator('#nurture-steps tr[data-step="checklist"]')
            assert checklist.locator("td.mql").inner_text() == "33.3 % (n=3) 95 % CI 6.2–79.2 %"
            assert page.locator('#nurture-transitions tr[data-to="(MQL)"]').count() == 1
            page.locator("#nurture").screenshot(path=str(ARTIFACTS / "dashboard-nurture.png"))
            context.close()
        finally:
            browser.close()


def check_calibration_panel(page: Any, env: dict[str, str], start: datetime, end: datetime) -> None:
    """ "What the score predicts" shows what `leadflow calibrate --json` prints for the page's window."""
    calibrate = run_command([str(BIN / "leadflow"), "calibrate", "--json", "--from", format_instant(start), "--to",
                             format_instant(end), "--as-of", format_instant(NOW)], env, ROOT)  # fmt: skip
    assert calibrate.returncode == 0, calibrate.stderr
    report = json.loads(calibrate.stdout)
    assert report["cohort"]["cycles"] > 0 and page.locator("#calibration-heading").is_visible()
    for outcome, figures in report["outcomes"].items():
        row = page.locator(f'#calibration-auc tr[data-outcome="{outcome}"]')
        auc = figures["auc"]
        expected_auc = "–" if auc["value"] is None else f"{auc['value']:.3f}"
        assert row.locator("td.auc").inner_text() == expected_auc
        assert row.locator("td.positives").inner_text() == str(auc["positives"])
        assert row.locator("td.negatives").inner_text() == str(auc["negatives"])
        assert row.locator("td.pending").inner_text() == str(figures["pending"])
        verdict = page.locator(f'#calibration-sufficiency li[data-outcome="{outcome}"]').inner_text()
        enough = report["sufficiency"][outcome]["enough"]
        assert verdict.startswith(f"{outcome}: enough to conclude" if enough else f"{outcome}: too few outcomes")
    for kind, groups in (("band", report["by_band"]), ("grade", report["by_grade"])):
        rows = page.locator(f"#calibration-{kind}s tbody tr")
        assert rows.count() == len(groups) > 0
        for group in groups:
            row = page.locator(f'#calibration-{kind}s tr[data-{kind}="{group[kind]}"]')
            assert row.locator("td.cycles").inner_text() == str(group["cycles"])
            assert row.locator("td.mean").inner_text() == decimals(group["mean_score"], 1)
            for outcome in ("accepted", "deal", "won"):
                figures = group[outcome]
                ratio = Ratio(figures["positives"], figures["known"])
                shown = " ".join([percent(ratio), interval(ratio)] + ([f"pending {figures['pending']}"]
                                                                      if figures["pending"] else []))  # fmt: skip
                assert " ".join(row.locator(f"td.{outcome}").inner_text().split()) == " ".join(shown.split())
