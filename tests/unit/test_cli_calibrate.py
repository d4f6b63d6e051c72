"""`leadflow calibrate --facts FILE`: JSON or text, the window, the bands, the compared period, and one line with
status 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from app.cli import main

FACTS = Path(__file__).resolve().parents[1] / "fixtures" / "calibration" / "scored_cycles.jsonl"
AS_OF = ["--as-of", "2027-06-01"]


def calibrate(*arguments: str) -> Result:
    return CliRunner().invoke(main, ["calibrate", *arguments])


def document(*arguments: str) -> dict[str, object]:
    result = calibrate("--facts", str(FACTS), *AS_OF, "--json", *arguments)
    assert result.exit_code == 0, result.output
    found: dict[str, object] = json.loads(result.output)
    return found


def test_json_prints_every_figure_of_the_file() -> None:
    found = document()
    assert found["cohort"] == {"cycles": 10, "scored": 9, "immature": 1, "models": []}
    assert found["outcomes"]["deal"]["auc"] == {"value": 1.0, "positives": 4, "negatives": 4}  # type: ignore[index]
    assert [row["band"] for row in found["by_band"]] == [  # type: ignore[attr-defined]
        "[30, 40)", "[40, 50)", "[60, 70)", "[70, 80)", "[80, 90)", "[90, 100)"
    ]  # fmt: skip


def test_the_window_and_mature_days_choose_the_cohort_and_the_known_outcomes() -> None:
    found = document("--from", "2026-11-01", "--to", "2026-12-01", "--mature-days", "300")
    assert (found["from"], found["to"], found["mature_days"]) == ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", 300)
    # Contacts 1–6; with 300 days none has matured: deals and wins wait for it, the answers of sales do not.
    assert found["cohort"] == {"cycles": 6, "scored": 6, "immature": 6, "models": []}
    assert found["outcomes"]["won"]["known"] == 0  # type: ignore[index]
    assert found["outcomes"]["won"]["pending"] == 6  # type: ignore[index]
    assert (
        found["outcomes"]["accepted"]["known"]
        == document("--from", "2026-11-01", "--to", "2026-12-01")["outcomes"]["accepted"]["known"]
    )  # type: ignore[index]


def test_band_width_and_quantiles_cut_the_bands() -> None:
    assert [row["band"] for row in document("--band-width", "50")["by_band"]] == ["[0, 50)", "[50, 100)"]  # type: ignore[attr-defined]
    found = document("--quantiles", "2")
    assert found["bands"] == {"quantiles": 2, "cuts": [80.0]}
    assert [row["cycles"] for row in found["by_band"]] == [5, 4]  # type: ignore[attr-defined]


def test_compare_from_and_to_compare_the_window_with_another_period() -> None:
    drift = document("--to", "2026-11-16", "--compare-from", "2026-11-16", "--compare-to", "2027-01-01")["drift"]
    assert drift["first"]["n"] == 4 and drift["second"]["n"] == 4  # type: ignore[index]
    assert drift["ks"] == 0.75  # type: ignore[index]  # 90, 85, 70, 65 against 40, 35, 60, 90: at 65, 1/4 vs 1


def test_without_json_it_prints_the_text_report() -> None:
    result = calibrate("--facts", str(FACTS), *AS_OF)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "Calibration of the MQLs in […, …), as of 2027-06-01T00:00:00Z "
        "(matured 90 days after MQL; bands 10 points wide)"
    )
    assert "Can the outcomes support a conclusion?" in lines
    assert (
        "  deal      44.4 % (n=9)      95 % CI 18.9–73.3 %     pending 1     AUC 1.000 (4 positive, 4 negative)"
        in lines
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--from", "yesterday"], "Error: --from: 'yesterday' is not an ISO 8601 date or time"),
        (["--from", "2026-12-01", "--to", "2026-11-01"], "Error: --from 2026-12-01T00:00:00Z is not before --to"),
        (["--compare-from", "2026-12-01"], "Error: --compare-from and --compare-to go together"),
        (["--band-width", "5", "--quantiles", "4"], "Error: --band-width and --quantiles exclude each other"),
        (["--compare-from", "2026-12-01", "--compare-to", "2026-12-01"], "Error: --compare-from 2026-12-01T00:00:00Z"),
    ],
)
def test_bad_input_ends_with_one_line_and_status_2(arguments: list[str], message: str) -> None:
    result = calibrate("--facts", str(FACTS), *AS_OF, *arguments)
    assert result.exit_code == 2
    assert result.output.startswith(message), result.output
    assert len(result.output.strip().splitlines()) == 1


def test_an_unreadable_or_bad_facts_file_is_named(tmp_path: Path) -> None:
    missing = calibrate("--facts", str(tmp_path / "missing.jsonl"))
    assert missing.exit_code == 2 and "missing.jsonl: cannot read it" in missing.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"mql_at": "2026-11-01", "score_at_mql": "high"}\n', encoding="utf-8")
    result = calibrate("--facts", str(bad))
    assert result.exit_code == 2
    assert "line 1: key 'score_at_mql': expected a number or null" in result.output


def test_an_empty_file_says_there_is_nothing_to_conclude(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    result = calibrate("--facts", str(empty), *AS_OF)
    assert result.exit_code == 0, result.output
    assert "  0 MQL cycle(s), 0 with a score at MQL, 0 not yet matured" in result.output
    assert "  won: too few outcomes to conclude: 0 positive(s) and 0 negative(s)" in result.output


def test_model_version_reads_one_versions_mqls_where_several_are_pooled(tmp_path: Path) -> None:
    facts = tmp_path / "versions.jsonl"
    lines = [json.loads(line) for line in FACTS.read_text(encoding="utf-8").splitlines() if line.strip()]
    for number, line in enumerate(lines):
        line["model_at_mql"] = "v1" if number < 4 else "v2"
    facts.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    pooled = calibrate("--facts", str(facts), *AS_OF)
    assert "warning: the scores at MQL come from 2 model versions (v1, v2)" in pooled.output
    assert "--model-version NAME reads one" in pooled.output
    one = calibrate("--facts", str(facts), *AS_OF, "--model-version", "v2", "--json")
    found = json.loads(one.output)
    assert found["model_version"] == "v2" and found["cohort"]["models"] == ["v2"]
    every = json.loads(calibrate("--facts", str(facts), *AS_OF, "--json").output)["cohort"]["cycles"]
    assert found["cohort"]["cycles"] == every - 4  # the first four lines are MQLs of v1
    text = calibrate("--facts", str(facts), *AS_OF, "--model-version", "v1").output
    assert ", model version v1 only" in text and "warning: the scores" not in text
    assert "  4 MQL cycle(s)" in text
