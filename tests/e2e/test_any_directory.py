"""The commands a newcomer runs first work from any directory: the default configuration ships in the package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

LEADFLOW = str(Path(sys.executable).parent / "leadflow")


def run(
    cwd: Path, *args: str, stdin: str = "", timeout: float = 120, config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `leadflow` in `cwd` with none of Leadflow's settings in the environment (but LEADFLOW_CONFIG=config)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LEADFLOW_", "HUBSPOT_"))}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    if config is not None:
        env["LEADFLOW_CONFIG"] = str(config)
    return subprocess.run(
        [LEADFLOW, *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_assess_reads_the_shipped_model_outside_the_checkout(tmp_path: Path) -> None:
    contact = {"id": "1", "contact": {"hs_buying_role": "DECISION_MAKER"}, "company": {}, "events": []}
    result = run(tmp_path, "assess", "--at", "2026-12-01T00:00:00Z", stdin=json.dumps(contact) + "\n")
    assert result.returncode == 0, result.stderr
    assessed = json.loads(result.stdout)
    assert assessed["model"] == "default-2026-12" and assessed["fit"] > 0
    assert "Traceback" not in result.stderr


def test_the_demo_runs_outside_the_checkout(tmp_path: Path) -> None:
    result = run(tmp_path, "demo", "--contacts", "10", "--days", "1", "--seed", "2")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Funnel (10 contacts)" in result.stdout
    assert "Traceback" not in result.stderr


def test_leadflow_config_names_another_configuration_directory(tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parents[2] / "config" / "scoring.yaml"
    ours = tmp_path / "ours"
    ours.mkdir()
    text = shipped.read_text(encoding="utf-8")
    (ours / "scoring.yaml").write_text(text.replace("default-2026-12", "ours-1", 1), encoding="utf-8")
    nothing = '{"contact": {}, "company": {}, "events": []}\n'
    result = run(tmp_path, "assess", stdin=nothing, config=ours)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["model"] == "ours-1"
    missing = run(tmp_path, "assess", stdin=nothing, config=tmp_path / "nowhere")
    assert missing.returncode != 0 and "nowhere/scoring.yaml" in missing.stderr and "Traceback" not in missing.stderr
