"""`leadflow doctor --project` names a directory that holds no built project, before it reads anything else."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from app.cli import main


def test_a_project_directory_without_the_webhooks_component_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["doctor", "--project", str(tmp_path)])

    assert result.exit_code == 2
    assert f"--project {tmp_path}: {tmp_path}/src/app/webhooks/webhooks-hsmeta.json does not exist" in result.output
    assert "Traceback" not in result.output


def test_a_webhooks_component_that_is_not_json_is_named(tmp_path: Path) -> None:
    path = tmp_path / "src" / "app" / "webhooks" / "webhooks-hsmeta.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")

    result = CliRunner().invoke(main, ["doctor", "--project", str(tmp_path)])

    assert result.exit_code == 2
    assert f"{path} cannot be read as JSON" in result.output
