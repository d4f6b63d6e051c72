"""`leadflow kpis --facts FILE`: JSON or a table, the defaults, and one line with status 2 on bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from app.cli import main
from tests.unit.rules.test_kpis_report import EXPECTED

FACTS = Path(__file__).resolve().parents[1] / "fixtures" / "kpis" / "small_portal.jsonl"
WINDOW = ["--from", "2026-11-01", "--to", "2026-12-01", "--as-of", "2026-12-10"]


def kpis(*arguments: str) -> Result:
    return CliRunner().invoke(main, ["kpis", *arguments])


def test_json_prints_the_contracts_object() -> None:
    result = kpis("--facts", str(FACTS), *WINDOW, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == EXPECTED


def test_by_week_adds_the_periods() -> None:
    result = kpis("--facts", str(FACTS), *WINDOW, "--json", "--by", "week")
    assert result.exit_code == 0, result.output
    periods = json.loads(result.output)["periods"]
    assert [period["from"][:10] for period in periods] == ["2026-11-01", "2026-11-02", "2026-11-09", "2026-11-16",
                                                           "2026-11-23", "2026-11-30"]  # fmt: skip
    assert sum(period["funnel"]["mqls"] for period in periods) == EXPECTED["funnel"]["mqls"]  # type: ignore[index]


def test_without_json_it_prints_the_table() -> None:
    result = kpis("--facts", str(FACTS), *WINDOW, "--by", "month")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "KPIs from 2026-11-01T00:00:00Z to 2026-12-01T00:00:00Z, as of 2026-12-10T00:00:00Z"
    assert "  mql→sql           40.0 % (n=5)" in lines
    assert "Periods" in lines


def test_to_defaults_to_as_of_and_from_to_28_days_before() -> None:
    result = kpis("--facts", str(FACTS), "--as-of", "2026-12-10T08:30:00+01:00", "--json")
    document = json.loads(result.output)
    assert (document["from"], document["to"], document["as_of"]) == (
        "2026-11-12T07:30:00Z", "2026-12-10T07:30:00Z", "2026-12-10T07:30:00Z"
    )  # fmt: skip


def test_from_defaults_to_28_days_before_to() -> None:
    document = json.loads(kpis("--facts", str(FACTS), "--to", "2026-12-01", "--as-of", "2026-12-10", "--json").output)
    assert (document["from"], document["to"]) == ("2026-11-03T00:00:00Z", "2026-12-01T00:00:00Z")


def test_as_of_defaults_to_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    document = json.loads(kpis("--facts", str(FACTS), "--json").output)
    after = datetime.now(UTC)
    as_of = datetime.fromisoformat(document["as_of"])
    assert before <= as_of <= after
    assert datetime.fromisoformat(document["from"]) == as_of - timedelta(days=28)


def test_the_help_names_the_defaults_and_the_facts_file_and_export() -> None:
    result = CliRunner().invoke(main, ["kpis", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "default: --to minus 28 days" in result.output and "default: --as-of" in result.output
    assert "default: now, UTC" in result.output and "not the ledger" in result.output
    assert "--export-facts" in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--from", "last week"], "Error: --from: 'last week' is not an ISO 8601 date or time"),
        (["--as-of", "2026-13-01"], "Error: --as-of: '2026-13-01' is not an ISO 8601 date or time"),
        (["--from", "2026-12-01", "--to", "2026-11-01"], "Error: --from 2026-12-01T00:00:00Z is not before --to"),
        (["--from", "2026-12-01", "--to", "2026-12-01T01:00:00+01:00"], "Error: --from 2026-12-01T00:00:00Z is not"),
        (["--from", "0001-01-01T00:00:00+01:00"], "Error: --from: '0001-01-01T00:00:00+01:00' lies outside the years"),
        (["--to", "0001-01-02"], "Error: --to 0001-01-02T00:00:00Z leaves no room for the default --from"),
    ],
)
def test_a_bad_time_or_an_empty_window_is_one_line_and_status_2(arguments: list[str], message: str) -> None:
    result = kpis("--facts", str(FACTS), *arguments)
    assert result.exit_code == 2
    assert result.output.startswith(message) and result.output.count("\n") == 1, result.output


def test_a_bad_facts_line_is_one_line_naming_file_line_and_key(tmp_path: Path) -> None:
    facts = tmp_path / "facts.jsonl"
    facts.write_text('{"contact": "1", "mql_at": "2026-11-03"}\n\n{"contact": "2", "sql_at": "soon"}\n')
    result = kpis("--facts", str(facts), *WINDOW)
    assert result.exit_code == 2
    assert result.output == f"Error: --facts {facts}: line 3: key 'sql_at': 'soon' is not an ISO 8601 date or time\n"


def test_a_missing_facts_file_is_one_line_and_status_2(tmp_path: Path) -> None:
    result = kpis("--facts", str(tmp_path / "absent.jsonl"), *WINDOW)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: --facts {tmp_path / 'absent.jsonl'}: cannot read it")
    assert result.output.count("\n") == 1


def test_breakdowns_and_intervals_are_new_keys_beside_the_contracts() -> None:
    result = kpis("--facts", str(FACTS), *WINDOW, "--json", "--breakdown", "grade", "--breakdown", "owner", "--ci")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert {key: value for key, value in document.items() if key not in ("breakdowns", "intervals")} == EXPECTED
    grades = document["breakdowns"]["grade"]
    assert sorted(grades) == sorted(EXPECTED["by_grade"])  # type: ignore[arg-type]
    assert sum(group["funnel"]["mqls"] for group in grades.values()) == EXPECTED["funnel"]["mqls"]  # type: ignore[index]
    for key, found in document["intervals"]["rates"].items():
        rate = EXPECTED["rates"][key]  # type: ignore[index]
        assert found is None or found[0] <= rate <= found[1]


def test_the_table_shows_breakdowns_and_intervals() -> None:
    result = kpis("--facts", str(FACTS), *WINDOW, "--breakdown", "owner", "--ci")
    assert result.exit_code == 0, result.output
    assert "Rates with their Wilson 95 % intervals" in result.output and "95 % CI " in result.output
    assert "\nBy owner\n" in result.output


def test_csv_prints_one_row_per_period() -> None:
    result = kpis("--facts", str(FACTS), *WINDOW, "--csv", "--by", "month")
    assert result.exit_code == 0, result.output
    header, *rows = result.output.splitlines()
    assert header.startswith("from,to,leads,leads_qualified,mqls,") and header.endswith(",win,sla_met")
    assert [row.split(",")[:2] for row in rows] == [["2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"]]
