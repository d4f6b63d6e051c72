"""`leadflow app build`: writes the HubSpot project; a missing PUBLIC_URL, a bad config or --out is one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from app.cli import main

CONFIG = Path(__file__).resolve().parents[2] / "config"
URL = "https://leadflow.example.com"


def app_build(env: dict[str, str | None], *arguments: str) -> Result:
    return CliRunner(env={"PUBLIC_URL": None, "LEADFLOW_CONFIG": None, **env}).invoke(
        main, ["app", "build", *arguments]
    )


def test_it_writes_the_three_files_and_names_the_next_steps(tmp_path: Path) -> None:
    out = tmp_path / "hubspot-app"
    result = app_build({"PUBLIC_URL": URL}, "--out", str(out), "--name", "Leadflow (staging)")
    assert result.exit_code == 0, result.output
    written = sorted(str(path.relative_to(out)) for path in out.rglob("*.json"))
    assert written == [
        "hsproject.json", "src/app/app-hsmeta.json", "src/app/cards/leadflow-card-hsmeta.json",
        "src/app/cards/package.json", "src/app/webhooks/webhooks-hsmeta.json",
    ]  # fmt: skip
    sources = sorted(path.name for path in (out / "src/app/cards").glob("*.ts*"))
    assert sources == ["CardView.tsx", "LeadflowCard.tsx", "document.ts", "leadflow.ts"]
    assert json.loads((out / "src/app/app-hsmeta.json").read_text())["config"]["name"] == "Leadflow (staging)"
    for step in ("hs project upload", "HUBSPOT_CLIENT_SECRET", "leadflow setup", "clock"):
        assert step in result.output


def test_without_public_url_it_refuses_naming_the_variable(tmp_path: Path) -> None:
    result = app_build({}, "--out", str(tmp_path / "app"))
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "Error: PUBLIC_URL is not set: it is the https URL HubSpot delivers Leadflow's webhooks to"
    ]
    assert not (tmp_path / "app").exists()


def test_a_plain_http_public_url_is_refused(tmp_path: Path) -> None:
    result = app_build({"PUBLIC_URL": "http://leadflow.example.com"}, "--out", str(tmp_path / "app"))
    assert result.exit_code == 2
    assert result.output.startswith("Error: PUBLIC_URL: 'http://leadflow.example.com/' is not an https URL")


def test_an_out_that_cannot_be_written_is_one_line_naming_the_option(tmp_path: Path) -> None:
    out = tmp_path / "project"
    out.mkdir()
    (out / "src").write_text("not a directory\n")
    result = app_build({"PUBLIC_URL": URL}, "--out", str(out))
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line.startswith(f"Error: --out {out}: cannot write the project there"), line


def test_a_broken_configuration_is_the_config_loaders_line(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    scoring = config / "scoring.yaml"
    scoring.write_text(scoring.read_text().replace("points: 25", "points: lots", 1))
    result = app_build({"PUBLIC_URL": URL, "LEADFLOW_CONFIG": str(config)}, "--out", str(tmp_path / "app"))
    assert result.exit_code != 0
    (line,) = result.output.splitlines()
    assert line.startswith(f"Error: {scoring}: rule 'target-industry': "), line


def test_a_name_hubspot_would_refuse_is_one_line_naming_the_option(tmp_path: Path) -> None:
    result = app_build({"PUBLIC_URL": URL}, "--out", str(tmp_path / "app"), "--name", "x" * 201)
    assert result.exit_code == 2
    assert result.output.splitlines() == ["Error: --name: 201 characters, HubSpot allows at most 200"]
