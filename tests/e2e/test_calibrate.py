"""`leadflow calibrate` as a user runs it: the installed command, in its own process, on a file of lead-cycle facts
(tests/fixtures/calibration, every figure worked out by hand in tests/unit/rules/test_calibration_report.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.processes import describe, run_command

ROOT = Path(__file__).resolve().parents[2]
LEADFLOW = str(Path(sys.prefix) / "bin" / "leadflow")
FACTS = ROOT / "tests" / "fixtures" / "calibration" / "scored_cycles.jsonl"
OUTCOMES = ("accepted", "deal", "won")
ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TZ": "UTC"}  # no settings: a facts file needs none


def calibrate(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return run_command([LEADFLOW, "calibrate", "--facts", str(FACTS), *arguments], {**ENV, "HOME": str(tmp_path)},
                       tmp_path)  # fmt: skip


def test_calibrate_reports_the_files_figures_as_json(tmp_path: Path) -> None:
    result = calibrate(tmp_path, "--as-of", "2027-06-01", "--json")
    assert result.returncode == 0, describe(result)
    document = json.loads(result.stdout)
    assert document["cohort"] == {"cycles": 10, "scored": 9, "immature": 1, "models": []}
    outcomes = document["outcomes"]
    counts = [(outcomes[o]["positives"], outcomes[o]["known"], outcomes[o]["pending"]) for o in OUTCOMES]
    assert counts == [(5, 9, 1), (4, 9, 1), (2, 8, 2)]
    assert [outcomes[o]["auc"]["value"] for o in OUTCOMES] == [0.9333, 1.0, 0.9]
    grades = {
        row["grade"]: (row["cycles"], row["won"]["positives"], row["won"]["known"]) for row in document["by_grade"]
    }
    assert grades == {"A": (4, 1, 2), "B": (3, 1, 3), "C": (2, 0, 2), "none": (1, 0, 1)}
    lift = document["lift"]["accepted"]
    assert [(d["decile"], d["lift"]) for d in lift][:2] == [(2, 1.6), (4, 1.6)]
    assert sum(d["lift"] * d["cycles"] for d in lift) / sum(d["cycles"] for d in lift) == 1
    assert (document["drift"]["ks"], document["drift"]["shifted"]) == (0.625, False)
    assert document["rejections"]["by_reason"] == {
        "no fit": {"count": 2, "share": 0.5}, "budget": {"count": 1, "share": 0.25}, "none": {"count": 1, "share": 0.25}
    }  # fmt: skip
    assert [document["sufficiency"][o]["needed"] for o in OUTCOMES] == [27, 20, 35]


def test_calibrate_says_in_its_text_that_the_outcomes_are_too_few(tmp_path: Path) -> None:
    result = calibrate(tmp_path, "--as-of", "2027-06-01")
    assert result.returncode == 0, describe(result)
    assert (
        "  deal: too few outcomes to conclude: 4 positive(s) and 4 negative(s); at the observed rate of 50.0 % about "
        "20 known outcomes are needed (12 more)"
    ) in result.stdout.splitlines()


def test_bad_input_is_one_line_without_a_traceback(tmp_path: Path) -> None:
    result = calibrate(tmp_path, "--as-of", "soon")
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "Error: --as-of: 'soon' is not an ISO 8601 date or time (2026-11-03, 2026-11-03T09:15:00Z)"
    )
    assert "Traceback" not in result.stderr
