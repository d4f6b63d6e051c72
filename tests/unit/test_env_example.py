"""`leadflow env` prints the repository's .env.example, and the settings it describes load as they are."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from app.cli import main
from app.settings import Environment, load_settings

ROOT = Path(__file__).resolve().parents[2]


def variables(text: str) -> dict[str, str]:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_leadflow_env_prints_the_env_example_of_the_repository() -> None:
    result = CliRunner().invoke(main, ["env"])
    assert result.exit_code == 0, result.output
    assert result.output == (ROOT / ".env.example").read_text()


def test_the_env_example_is_a_complete_production_configuration_for_the_twin() -> None:
    values = variables((ROOT / ".env.example").read_text())
    settings = load_settings({name.lower(): value for name, value in values.items()})
    assert settings.leadflow_env is Environment.PRODUCTION  # so it names every secret production requires
    assert (settings.access_token(), settings.hubspot_app_id) == ("twin-token", "4242")  # the twin's defaults
    assert settings.api_base == "http://127.0.0.1:8765"
