"""`leadflow nurture --report` and `leadflow kpis --breakdown track`, run as a user runs them (subprocesses) on a
ledger seeded with nurture offers (SQLite and PostgreSQL): the numbers, the text, and one line with status 2 for
input the user can fix."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.ledger.database import create_ledger_engine
from app.ledger.nurture import NewOffer
from app.ledger.store import Ledger
from app.rules.kpis.breakdowns import NO_TRACK
from tests.conftest import CLI_REDIS_URL
from tests.e2e.test_cli import LEADFLOW, ROOT, base_env
from tests.e2e.test_cli_errors import REFUSING_DATABASE, the_error_line
from tests.support.processes import describe, run_command

FACTS = ROOT / "tests" / "fixtures" / "kpis" / "small_portal.jsonl"
KPI_WINDOW = ("--from", "2026-11-01", "--to", "2026-12-01", "--as-of", "2026-12-10")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Offers to contacts of tests/fixtures/kpis/small_portal.jsonl, and their conversions when they became MQLs.
OFFERS = [
    NewOffer("1", "awareness", "checklist", at("2026-10-25T10:00")),
    NewOffer("1", "awareness", "webinar-invite", at("2026-10-30T10:00")),
    NewOffer("2", "decision", "roi-calculator", at("2026-11-01T10:00")),
    NewOffer("2", "decision", "customer-story", at("2026-11-07T10:00")),  # after 2's MQL
    NewOffer("4", "awareness", "checklist", at("2026-11-21T10:00")),  # 4 never becomes an MQL
    NewOffer("7", "awareness", "checklist", at("2026-11-20T10:00")),
    NewOffer("8", "decision", "roi-calculator", at("2026-11-30T10:00")),  # after 8's MQL: 8 had no track then
]
CONVERSIONS = [("1", at("2026-11-02T09:00:10")), ("2", at("2026-11-06T08:00")), ("7", at("2026-11-28T00:00")),
               ("8", at("2026-11-29T00:00"))]  # fmt: skip


@pytest.fixture
def env(ledger_url: str, tmp_path: Path) -> dict[str, str]:
    """The commands' environment, on a ledger holding OFFERS (completed: 1's checklist)."""
    ledger = Ledger(create_ledger_engine(ledger_url))
    try:
        ledger.nurture.record_offers(OFFERS)
        ledger.nurture.record_completed([("1", "checklist", at("2026-10-26T10:00"))])
        for contact, moment in CONVERSIONS:
            ledger.nurture.record_converted([contact], moment)
    finally:
        ledger.engine.dispose()
    tag = uuid.uuid4().hex[:12]
    return {
        **base_env(tmp_path / "home"),
        "LEADFLOW_ENV": "development",
        "DATABASE_URL": ledger_url,
        "REDIS_URL": CLI_REDIS_URL,
        "LEADFLOW_CONFIG": str(ROOT / "config"),
        "QUEUE_NAME": f"leadflow-nurture-{tag}",
        "REDIS_PREFIX": f"leadflow-nurture-{tag}",
    }


def leadflow(env: dict[str, str], tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_command([LEADFLOW, *args], env, tmp_path, timeout=60)


def ok(env: dict[str, str], tmp_path: Path, *args: str) -> str:
    result = leadflow(env, tmp_path, *args)
    assert result.returncode == 0, describe(result)
    return result.stdout


def test_the_report_counts_each_step_as_the_ledger_holds_it(env: dict[str, str], tmp_path: Path) -> None:
    document = json.loads(ok(env, tmp_path, "nurture", "--report", "--as-of", "2026-12-10", "--json"))
    assert (document["offers"], document["contacts"], document["mql_within_days"]) == (7, 5, 30)
    steps = {step["step"]: step for step in document["steps"]}
    checklist = steps["checklist"]
    assert (checklist["reach"], checklist["track"], checklist["not_matured"]) == (3, "awareness", 2)  # 1, 4, 7
    assert checklist["completed"] == {"part": 1, "n": 3, "rate": 0.3333, "ci95": [0.0615, 0.7923]}
    assert checklist["next_step"]["part"] == 1  # 1 went on to the webinar
    assert checklist["mql_within"] == {"part": 1, "n": 1, "rate": 1.0, "ci95": [0.2065, 1.0]}  # only 1's matured
    assert checklist["to_next_step"] == {"count": 1, "median_seconds": 5 * 86_400, "median_days": 5.0}
    roi = steps["roi-calculator"]
    assert (roi["reach"], roi["mql_within"]["n"], roi["not_matured"], roi["next_step"]["part"]) == (2, 1, 1, 1)
    assert steps["best-of-newsletter"]["reach"] == 0  # in nurture.yaml, never offered
    transitions = [(t["from"], t["to"], t["count"]) for t in document["transitions"]]
    assert [t for t in transitions if t[0] == "checklist"] == [
        ("checklist", "(MQL)", 1), ("checklist", "(stopped)", 1), ("checklist", "webinar-invite", 1)
    ]  # fmt: skip
    assert [t for t in transitions if t[0] == "roi-calculator"] == [
        ("roi-calculator", "(stopped)", 1), ("roi-calculator", "customer-story", 1)
    ]  # fmt: skip
    tracks = {track["track"]: track for track in document["tracks"]}
    assert (tracks["awareness"]["offers"], tracks["awareness"]["reach"], tracks["decision"]["offers"]) == (4, 3, 3)


def test_the_report_prints_lines_and_keeps_a_window(env: dict[str, str], tmp_path: Path) -> None:
    lines = ok(env, tmp_path, "nurture", "--report", "--as-of", "2026-12-10", "--from", "2026-11-15").splitlines()
    assert lines[0] == (
        "Nurture effectiveness: offers made from 2026-11-15T00:00:00Z to --as-of, as of 2026-12-10T00:00:00Z"
    )
    assert lines[1] == "3 offer(s) to 3 contact(s); MQL within 30 days"  # 4's and 7's checklists, 8's roi
    assert "  checklist (track awareness)" in lines
    assert "    completed           0.0 % (n=2)       95 % CI 0.0–65.8 %" in lines
    assert "  checklist → (MQL)                           1  50.0 % (n=2)      95 % CI 9.5–90.6 %" in lines
    assert "  roi-calculator (track decision)" in lines and "  webinar-invite (track awareness): not offered" in lines


def test_without_nurture_yaml_the_report_shows_what_the_ledger_holds(env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    (config / "nurture.yaml").unlink()
    lines = ok({**env, "LEADFLOW_CONFIG": str(config)}, tmp_path, "nurture", "--report", "--as-of", "2026-12-10")
    assert "no config/nurture.yaml: steps and tracks as the ledger holds them" in lines.splitlines()
    assert "not offered" not in lines and "  checklist (track awareness)" in lines.splitlines()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "Error: say what to show: --explain CONTACT_ID (a contact's plan) or --report"),
        (["--report", "--from", "yesterday"], "Error: --from: 'yesterday' is not an ISO 8601 date or time"),
        (["--report", "--from", "2026-12-01", "--to", "2026-11-01"], "Error: --from 2026-12-01T00:00:00Z is not "),
        (["--report", "--mql-within", "0"], "Error: Invalid value for '--mql-within'"),
    ],
    ids=["no-report", "bad-time", "empty-window", "bad-days"],
)
def test_input_the_user_can_fix_is_one_line_and_status_2(
    env: dict[str, str], tmp_path: Path, arguments: list[str], message: str
) -> None:
    result = leadflow(env, tmp_path, "nurture", *arguments)
    assert result.returncode == 2, describe(result)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and errors[0].startswith(message), describe(result)


def test_the_kpi_breakdown_by_track_groups_each_cycle_by_its_last_offer(env: dict[str, str], tmp_path: Path) -> None:
    document = json.loads(ok(env, tmp_path, "kpis", "--facts", str(FACTS), *KPI_WINDOW, "--json",
                             "--breakdown", "track"))  # fmt: skip
    tracks = document.pop("breakdowns")["track"]
    assert {key: (group["funnel"]["leads"], group["funnel"]["mqls"]) for key, group in tracks.items()} == {
        "awareness": (1, 2),  # MQLs 1 (the webinar before), 7 (the checklist); lead 4 (its checklist, no MQL)
        "decision": (1, 1),  # 2: the roi-calculator before its MQL (the customer story came after)
        NO_TRACK: (3, 2),  # MQLs 3 (no offer) and 8 (its offer came after); leads 3, 5, 6
    }
    plain = json.loads(ok(env, tmp_path, "kpis", "--facts", str(FACTS), *KPI_WINDOW, "--json"))
    assert plain == document  # the contract's keys are the same with or without the breakdown
    table = ok(env, tmp_path, "kpis", "--facts", str(FACTS), *KPI_WINDOW, "--breakdown", "track")
    assert "\nBy nurture track\n" in table and "  (none)" in table and "  awareness" in table


@pytest.mark.parametrize(
    "command",
    [["nurture", "--report"], ["kpis", "--facts", str(FACTS), "--breakdown", "track"]],
    ids=["nurture", "kpis-track"],
)
def test_a_database_that_refuses_is_named_with_its_url_masked(tmp_path: Path, command: list[str]) -> None:
    env = {**base_env(tmp_path / "home"), "LEADFLOW_ENV": "development", "DATABASE_URL": REFUSING_DATABASE,
           "REDIS_URL": CLI_REDIS_URL, "LEADFLOW_CONFIG": str(ROOT / "config")}  # fmt: skip
    line = the_error_line(leadflow(env, tmp_path, *command))
    assert line.startswith("Error: cannot use the ledger database (DATABASE_URL=postgresql://postgres:***@127.0.0.1:1/")


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ((), "say what to show: --explain CONTACT_ID (a contact's plan) or --report (the steps)"),
        (("--report", "--explain", "12"), "say what to show: --explain CONTACT_ID (a contact's plan) or --report"),
        (("--explain", "anna@example.com"), "'anna@example.com' is not a HubSpot contact id"),
        (("--explain", "12", "--as-of", "yesterday"), "--as-of: 'yesterday' is not an ISO 8601 date or time"),
    ],
)
def test_nurture_explain_refuses_what_the_user_can_fix_in_one_line(
    env: dict[str, str], tmp_path: Path, args: tuple[str, ...], problem: str
) -> None:
    result = leadflow(env, tmp_path, "nurture", *args)
    assert result.returncode == 2, describe(result)
    assert problem in result.stderr and "Traceback" not in result.stderr, describe(result)


def test_nurture_explain_names_a_contact_the_ledger_does_not_hold(env: dict[str, str], tmp_path: Path) -> None:
    result = leadflow(env, tmp_path, "nurture", "--explain", "424242")
    assert result.returncode == 1, describe(result)
    assert the_error_line(result) == (
        "Error: the ledger holds no assessment of contact 424242: never drained, or forgotten"
    ), describe(result)
