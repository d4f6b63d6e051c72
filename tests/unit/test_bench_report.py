"""The benchmark's report: ratios to baselines, targets judged on the value or the ratio, the table, the JSON."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime
from pathlib import Path

import click
import responses
from click.testing import CliRunner

from app.cli import main
from app.rules import load_scoring_model
from bench.core import TIMES_THE_SDK_READ, floor_requests, hubspot_seconds_per_contact, sdk_read_seconds
from bench.env import busiest_window
from bench.naive import NaiveScorer
from bench.portal import scoring_floor, synthetic_portal
from bench.report import Figure, Report, Target, number, quantile, table
from bench.runner import SECTIONS as RUNNER_SECTIONS
from tests.conftest import CONFIG_DIR


def test_a_ratio_target_is_judged_on_value_over_baseline() -> None:
    figure = Figure("economy", "requests per 100 contacts", 2.4, "req", 2.3, "floor", Target("ratio", "<=", 1.1))
    assert figure.ratio is not None and round(figure.ratio, 3) == 1.043
    assert figure.met is True
    worse = Figure("economy", "requests per 100 contacts", 3.0, "req", 2.3, "floor", Target("ratio", "<=", 1.1))
    assert worse.met is False


def test_a_value_target_ignores_the_baseline_and_a_figure_without_target_is_not_judged() -> None:
    assert Figure("intake", "events/s", 5667, "/s", 9000, "raw", Target("value", ">=", 5000)).met is True
    assert Figure("intake", "events/s", 4999, "/s", 4000, "raw", Target("value", ">=", 5000)).met is False
    assert Figure("latency", "p95", 2.0, "s", target=Target("value", "<", 2.0)).met is False
    assert Figure("x", "y", 1, "s").met is None
    assert Figure("x", "y", 1, "s", baseline=0).ratio is None


def test_the_table_shows_value_baseline_ratio_target_and_verdict() -> None:
    text = table(
        [
            Figure("rescore", "wall time", 125.0, "s", 110.0, "rate-limit floor", Target("ratio", "<=", 1.15)),
            Figure("intake", "events accepted per second", 4000, "/s", target=Target("value", ">=", 5000)),
        ]
    )
    lines = text.splitlines()
    assert lines[0].split() == ["section", "figure", "value", "baseline", "ratio", "target", "met"]
    assert "125 s" in lines[2] and "110 s (rate-limit floor)" in lines[2] and "1.14×" in lines[2]
    assert lines[2].rstrip().endswith("yes") and lines[3].rstrip().endswith("NO")
    assert (number(12345.6), number(12.34), number(1.234), number(None)) == ("12,346", "12.3", "1.23", "—")


def test_the_json_carries_the_figures_their_ratios_verdicts_and_the_machine(tmp_path: Path) -> None:
    report = Report(mode="quick")
    report.add(Figure("economy", "burst", 15, "req", 9, "floor"))
    report.details["economy"] = {"events": 2000}
    path = tmp_path / "bench.json"
    report.write_json(path)
    data = json.loads(path.read_text())
    assert data["mode"] == "quick" and data["details"] == {"economy": {"events": 2000}}
    assert data["figures"][0]["ratio"] == 15 / 9 and data["figures"][0]["met"] is None
    assert data["machine"]["cores"] >= 1


def test_the_cli_offers_every_section_the_runner_knows() -> None:
    only = next(param for param in main.commands["bench"].params if param.name == "sections")
    assert isinstance(only.type, click.Choice)
    assert tuple(only.type.choices) == tuple(RUNNER_SECTIONS)
    assert all(importlib.util.find_spec(module) for module in RUNNER_SECTIONS.values())
    result = CliRunner().invoke(main, ["bench", "--help"])
    assert result.exit_code == 0 and "--full" in result.output and "--only" in result.output


def test_the_hubspot_time_each_contact_gets_at_the_rate_limit_is_its_share_of_the_floor() -> None:
    portal = synthetic_portal(200, 40, seed=3)
    companies = len({at for at in portal.company_of if at is not None})
    assert floor_requests(portal) == 2 + 1 + 2 == scoring_floor(200, companies, 200)  # read, companies, write
    assert hubspot_seconds_per_contact(portal) == 5 * 10 / 190 / 200


def test_assessing_is_judged_against_the_sdk_reading_the_same_contacts_in_the_same_run() -> None:
    portal = synthetic_portal(300, 60, seed=3)
    sdk_us = sdk_read_seconds(portal.contacts) * 1e6
    assert 0 < sdk_us < 100_000  # measured, per contact
    target = Target("ratio", "<=", TIMES_THE_SDK_READ)
    # a machine twice as slow doubles both: the verdict stays
    for speed in (1.0, 2.5):
        assert Figure("core", "assessment CPU", 1.2 * sdk_us * speed, "µs", sdk_us * speed, "SDK", target).met
        assert not Figure("core", "assessment CPU", 1.6 * sdk_us * speed, "µs", sdk_us * speed, "SDK", target).met


def test_a_synthetic_portal_is_the_same_for_the_same_seed() -> None:
    first, second = synthetic_portal(200, 40, seed=3), synthetic_portal(200, 40, seed=3)
    assert first == second
    assert len({row["email"] for row in first.contacts}) == 200, "emails are unique (HubSpot's rule)"
    assert all(at is None or 0 <= at < 40 for at in first.company_of)
    assert 0.9 < sum(at is not None for at in first.company_of) / 200 <= 1.0


def test_the_naive_strategy_spends_four_requests_per_event() -> None:
    """Against a recording stand-in for HubSpot: contact, its company association, the company, the write."""
    api = "https://api.example.test"
    with responses.RequestsMock() as mock:
        mock.get(f"{api}/crm/v3/objects/contacts/7", json={"id": "7", "properties": {"country": "Germany"}})
        mock.get(f"{api}/crm/v4/objects/contacts/7/associations/companies", json={"results": [{"toObjectId": 9}]})
        mock.get(f"{api}/crm/v3/objects/companies/9", json={"id": "9", "properties": {"industry": "MACHINERY"}})
        mock.patch(f"{api}/crm/v3/objects/contacts/7", json={"id": "7"})
        scorer = NaiveScorer(api, "token", load_scoring_model(CONFIG_DIR / "scoring.yaml"))
        scorer.handle_all([("7", "whitepaper_download", datetime.now(UTC)), ("7", None, datetime.now(UTC))])
        assert len(mock.calls) == 8
        written = json.loads(mock.calls[3].request.body or b"{}")["properties"]
        assert written["leadflow_engagement_score"] == "5" and "Target industry" in written["leadflow_score_reasons"]


def test_quantiles_are_nearest_rank_and_the_busiest_window_is_hubspots_rolling_count() -> None:
    assert [quantile([3.0, 1.0, 2.0, 4.0], q) for q in (0.25, 0.5, 0.95, 1.0)] == [1.0, 2.0, 4.0, 4.0]
    assert busiest_window([0.0, 1.0, 9.9, 10.0, 10.5], window=10.0) == 4  # 1.0 … 10.5; 0.0 has left at 10.0
    assert busiest_window([]) == 0
