"""The dashboard's "Last backtest" panel through Flask's test client, on a real ledger: what it says before any
backtest, and the newest run recorded — its age, the two models (escaped: their names come from files), MQLs and
SQLs per week, the outcomes, the stages gained and lost, the handovers per pool and the command's verdict."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html import unescape

import redis

from app import create_app
from app.backtest_report import backtest_json
from app.bootstrap import Container
from app.ledger.store import Ledger
from app.rules.calibration.backtest import BacktestReport, BacktestWindow, ModelFigures, OutcomeCounts, StageMove
from app.rules.calibration.backtest_runs import BacktestRun, CandidateFile, backtest_run
from app.rules.calibration.backtest_verdict import report_verdict
from tests.integration.test_dashboard import TOKEN, build, calibration_rows, sqlite_url, text_of  # noqa: F401

NOW = datetime.now(UTC).replace(second=0, microsecond=0)
BEARER = {"Authorization": f"Bearer {TOKEN}"}
CANDIDATE = "<script>alert(1)</script>"


def report() -> BacktestReport:
    """Five MQLs under the current model in weeks 45 and 47, four under the candidate in week 46; acceptance known."""
    current = ModelFigures("default-v1", Counter({"2026-W45": 3, "2026-W47": 2}), Counter({"2026-W47": 1}), 5,
                           Counter({"dach-team": 3}))  # fmt: skip
    candidate = ModelFigures(CANDIDATE, Counter({"2026-W46": 4}), Counter(), 4,
                             Counter({"dach-team": 2, "(fallback)": 1}))  # fmt: skip
    current.outcomes["accepted"] = OutcomeCounts(12, 8, 2)
    candidate.outcomes["accepted"] = OutcomeCounts(3, 2, 1)
    end = datetime(2026, 11, 30, tzinfo=UTC)
    found = BacktestReport(BacktestWindow(None, end), end, current, candidate, contacts=80, handed_over=22)
    found.known_positives["accepted"] = 14
    found.gained = [StageMove(str(n), "sql", end - timedelta(hours=n)) for n in range(25)]
    found.lost = [StageMove(str(n), "mql", end - timedelta(hours=n)) for n in range(3)]
    return found


def record_backtest(ledger: Ledger, ran_at: datetime, ran_by: str | None = "ann@build-7") -> BacktestRun:
    """Record the backtest of `report()` as run at `ran_at` with a candidate file whose path needs escaping."""
    made = report()
    source = CandidateFile("/srv/<b>candidate</b>.yaml", "0123456789abcdef" * 4)
    run = backtest_run(made, backtest_json(made), 90, source, ran_at, ran_by)
    ledger.backtests.record(run)
    return run


def page_of(container: Container) -> str:
    return create_app(container=container).test_client().get("/dashboard", headers=BEARER).text


def test_without_a_backtest_the_panel_says_how_to_run_one(sqlite_url: str, redis_client: redis.Redis) -> None:  # noqa: F811
    container = build(sqlite_url, redis_client, dashboard_token=TOKEN)
    try:
        page = page_of(container)
    finally:
        container.close()
    assert 'id="backtest-heading">Last backtest</h2>' in page
    assert '<p id="backtest-empty">No backtest yet: run <code>leadflow backtest --model FILE</code>.</p>' in page


def test_the_panel_shows_the_newest_run_recorded(sqlite_url: str, redis_client: redis.Redis) -> None:  # noqa: F811
    container = build(sqlite_url, redis_client, dashboard_token=TOKEN)
    made = report()
    try:
        record_backtest(container.ledger, NOW - timedelta(days=2), None)
        record_backtest(container.ledger, NOW - timedelta(hours=3))
        page = page_of(container)
    finally:
        container.close()
    assert 'id="backtest-empty"' not in page
    panel = re.search(r'<section aria-labelledby="backtest-heading".*?</section>', page, re.S)
    assert panel is not None
    html = panel.group(0)
    assert CANDIDATE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    said = unescape(text_of(html))
    assert "/srv/&lt;b&gt;candidate&lt;/b&gt;.yaml" in html and "sha256 0123456789ab)" in said
    assert re.search(r"\(3 h 0\d min ago\) by ann@build-7: the current model default-v1 against the candidate", said)
    assert "replayed over 80 contacts from each contact's first signal to 2026-11-30T00:00:00Z" in said
    verdict = report_verdict(made)
    assert verdict.judgement == "worse"
    assert f'<p id="backtest-verdict" data-judgement="worse">{verdict.headline()}</p>' in html
    lines = re.findall(r'<li data-outcome="\w+">(.*?)</li>', html)
    assert [unescape(line) for line in lines] == [outcome.line() for outcome in verdict.outcomes]
    models = calibration_rows(html, "backtest-models", "which")
    assert [models["current"][i] for i in (0, 1, 3, 5)] == ["current: default-v1", "5", "1", "5"]
    assert [models["candidate"][i] for i in (1, 3, 5)] == ["4", "0", "4"]
    assert "MQLs by week: 2026-W45: 0, 2026-W46: 4, 2026-W47: 0" in models["candidate"][2]  # the empty week too
    assert html.count('class="sparkline"') == 4
    outcomes = calibration_rows(html, "backtest-outcomes", "outcome")
    assert outcomes["accepted"] == [
        "accepted", "60.0 % (n=20) 95 % CI 38.7–78.1 %", "2", "12 of 14", "60.0 % (n=5) 95 % CI 23.1–88.2 %", "1",
        "3 of 14",
    ]  # fmt: skip
    assert outcomes["won"] == ["won", "– (n=0)", "0", "0 of 0", "– (n=0)", "0", "0 of 0"]
    assert "Stages the candidate gains: 25 (sql 25)" in said and "Stages the candidate loses: 3 (mql 3)" in said
    pools = calibration_rows(html, "backtest-handovers", "pool")
    assert pools == {"(fallback)": ["(fallback)", "0", "1"], "dach-team": ["dach-team", "3", "2"]}


def test_a_record_the_panel_cannot_read_is_said_and_the_page_still_shows(
    sqlite_url: str,  # noqa: F811
    redis_client: redis.Redis,
) -> None:
    container = build(sqlite_url, redis_client, dashboard_token=TOKEN)
    try:
        run = record_backtest(container.ledger, NOW)
        container.ledger.backtests.record(replace(run, document={"weeks": [{"week": "2026-W45"}]}))
        response = create_app(container=container).test_client().get("/dashboard", headers=BEARER)
    finally:
        container.close()
    assert response.status_code == 200 and 'id="calibration-heading"' in response.text
    assert ('<p id="backtest-unreadable">The newest backtest recorded cannot be shown (its record has another shape): '
            "run <code>leadflow backtest --model FILE</code> again.</p>") in response.text  # fmt: skip
