"""A user's mistake ends a `leadflow` command with one line naming what to fix: no traceback, no secret.

Each case runs the real command as a subprocess, as a user would. The database and Redis that cannot be reached
are on port 1 of this host, which refuses at once, so no case waits for a timeout.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from hubspot_twin import Twin
from tests.conftest import REDIS_URL
from tests.e2e.test_cli import LEADFLOW, ROOT, base_env
from tests.support.processes import describe, run_command

PASSWORD = "pw-7c2e91d4-secret"  # in the URLs of these cases: it must never be shown
WRONG_TOKEN = "pat-na1-wrong-5b8f03a6-token"
REFUSING_DATABASE = f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/test"
REFUSING_REDIS = f"redis://:{PASSWORD}@127.0.0.1:1/0"
# Every command that reads the settings (twin, assess and bench do not).
SETTINGS_COMMANDS = (
    ["web"],
    ["worker", "--burst"],
    ["clock"],
    ["setup"],
    ["rescore", "7"],
    ["route"],
    ["failed"],
    ["forget", "7"],
    ["status"],
    ["demo"],
)


def the_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """Assert the command failed with exactly one `Error:` line, no traceback and no secret; return the line."""
    shown = result.stdout + result.stderr
    assert result.returncode != 0, describe(result)
    assert "Traceback" not in shown, describe(result)
    assert PASSWORD not in shown and WRONG_TOKEN not in shown, describe(result)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, describe(result)
    return errors[0]


@pytest.fixture
def leadflow_env(tmp_path: Path, redis_client: redis.Redis) -> dict[str, str]:
    """A development environment on a fresh SQLite ledger and the tests' Redis database (emptied after)."""
    tag = uuid.uuid4().hex[:12]
    return {
        **base_env(tmp_path / "home"),
        "LEADFLOW_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "REDIS_URL": REDIS_URL,
        "LEADFLOW_CONFIG": str(ROOT / "config"),
        "QUEUE_NAME": f"leadflow-errors-{tag}",
        "REDIS_PREFIX": f"leadflow-errors-{tag}",
    }


@pytest.fixture
def broken_config(tmp_path: Path) -> Path:
    """A copy of the configuration whose scoring.yaml has a typo in the rule `target-industry`."""
    config = tmp_path / "config"
    config.mkdir()
    for source in (ROOT / "config").glob("*.yaml"):
        (config / source.name).write_text(source.read_text())
    scoring = config / "scoring.yaml"
    scoring.write_text(scoring.read_text().replace("when: company.industry in [", "when: company.industry inn [", 1))
    return config


def leadflow(env: dict[str, str], tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_command([LEADFLOW, *args], env, tmp_path, timeout=60)


@pytest.mark.parametrize("command", SETTINGS_COMMANDS, ids=lambda command: command[0])
def test_every_command_refuses_a_time_zone_that_is_not_iana_naming_the_variable(
    leadflow_env: dict[str, str], tmp_path: Path, command: list[str]
) -> None:
    result = leadflow({**leadflow_env, "HUBSPOT_TIMEZONE": "Mars/Olympus"}, tmp_path, *command)
    assert the_error_line(result) == (
        "Error: Invalid settings: HUBSPOT_TIMEZONE: must be an IANA time zone such as Europe/Berlin "
        "(not 'Mars/Olympus')"
    )


@pytest.mark.parametrize("command", [["status"], ["worker", "--burst"], ["setup"]], ids=lambda c: c[0])
def test_an_invalid_config_names_the_file_and_the_rule(
    leadflow_env: dict[str, str], broken_config: Path, tmp_path: Path, command: list[str]
) -> None:
    line = the_error_line(leadflow({**leadflow_env, "LEADFLOW_CONFIG": str(broken_config)}, tmp_path, *command))
    assert line.startswith(f"Error: {broken_config / 'scoring.yaml'}: "), line
    assert "target-industry" in line


def test_the_twin_names_the_invalid_config_it_would_subscribe_webhooks_for(
    leadflow_env: dict[str, str], broken_config: Path, tmp_path: Path
) -> None:
    webhooks = ["--webhook-url", "http://127.0.0.1:1/webhooks/hubspot", "--config", str(broken_config)]
    line = the_error_line(leadflow(leadflow_env, tmp_path, "twin", "--port", "0", *webhooks))
    assert line.startswith(f"Error: {broken_config / 'scoring.yaml'}: "), line


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("HUBSPOT_APP_ID", "abc", "HUBSPOT_APP_ID: must be the private app's id, a positive whole number (not 'abc')"),
        ("DATABASE_URL", "nonsense", "DATABASE_URL: must be a ledger database URL such as sqlite:///leadflow.db"),
        ("DATABASE_URL", f"mysql://leadflow:{PASSWORD}@127.0.0.1:1/leadflow", "DATABASE_URL: must be a ledger"),
        ("REDIS_URL", "nonsense", "REDIS_URL: must be a Redis URL such as redis://HOST:6379/0"),
        ("REDIS_URL", f"redis://:{PASSWORD}@127.0.0.1:port/0", "REDIS_URL: must be a Redis URL"),
    ],
    ids=["app-id", "database-nonsense", "database-mysql", "redis-nonsense", "redis-port"],
)
def test_an_invalid_setting_is_refused_at_start_up_naming_the_variable(
    leadflow_env: dict[str, str], tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    line = the_error_line(leadflow({**leadflow_env, variable: value}, tmp_path, "status"))
    assert line.startswith(f"Error: Invalid settings: {expected}"), line


@pytest.mark.parametrize("command", [["status"], ["worker", "--burst"]], ids=lambda c: c[0])
def test_a_database_that_refuses_is_named_with_its_url_masked(
    leadflow_env: dict[str, str], tmp_path: Path, command: list[str]
) -> None:
    line = the_error_line(leadflow({**leadflow_env, "DATABASE_URL": REFUSING_DATABASE}, tmp_path, *command))
    assert line.startswith(
        "Error: cannot use the ledger database (DATABASE_URL=postgresql://postgres:***@127.0.0.1:1/test): "
    ), line
    assert "Connection refused" in line


def test_a_ledger_file_that_cannot_be_opened_is_named(leadflow_env: dict[str, str], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-directory' / 'ledger.db'}"
    line = the_error_line(leadflow({**leadflow_env, "DATABASE_URL": url}, tmp_path, "status"))
    assert line == f"Error: cannot use the ledger database (DATABASE_URL={url}): unable to open database file"


@pytest.mark.parametrize(
    "command",
    [["status"], ["worker", "--burst"], ["clock"], ["failed"], ["rescore", "7"], ["demo"]],
    ids=lambda c: c[0],
)
def test_a_redis_that_refuses_is_named_with_its_url_masked(
    leadflow_env: dict[str, str], tmp_path: Path, command: list[str]
) -> None:
    line = the_error_line(leadflow({**leadflow_env, "REDIS_URL": REFUSING_REDIS}, tmp_path, *command))
    assert line.startswith("Error: cannot reach Redis (REDIS_URL=redis://:***@127.0.0.1:1/0): "), line
    assert "Connection refused" in line


@pytest.fixture
def twin_url() -> Iterator[str]:
    """The HubSpot twin, in this process, accepting one token that is not the one the commands are given."""
    with Twin(access_tokens={"the-right-token"}).serve() as server:
        yield server.url


@pytest.mark.parametrize("command", [["setup"], ["rescore", "--all"], ["route", "--dry-run"]], ids=lambda c: c[0])
def test_an_access_token_hubspot_refuses_is_named(
    leadflow_env: dict[str, str], twin_url: str, tmp_path: Path, command: list[str]
) -> None:
    env = {**leadflow_env, "HUBSPOT_API_BASE": twin_url, "HUBSPOT_ACCESS_TOKEN": WRONG_TOKEN}
    line = the_error_line(leadflow(env, tmp_path, *command))
    assert line.startswith("Error: HubSpot refused the access token (HUBSPOT_ACCESS_TOKEN): "), line
    assert "HubSpot answered 401" in line


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            ["assess", "--config", str(ROOT / "config"), "--at", "yesterday"],
            "Error: Invalid value for --at: 'yesterday' is not an ISO 8601 time",
        ),
        (["rescore"], "Error: name contact ids, or pass --all"),
        (["rescore", "--all", "7"], "Error: --all and contact ids cannot be combined"),
        (["rescore", "--wait", "7"], "Error: --wait goes with --all"),
        (["rescore", "7", "11a3"], "Error: Invalid value for '[CONTACT_IDS]...': '11a3' is not a HubSpot contact id"),
        (["forget", "anna@kessler.de"], "Error: Invalid value for 'CONTACT_IDS...': 'anna@kessler.de' is not a"),
        (["bench", "--only", "everything"], "Error: Invalid value for '--only': 'everything' is not one of"),
        (["twin", "--fault-429", "0.6", "--fault-5xx", "0.6"], "Error: Invalid value for --fault-*: the fault shares"),
    ],
    ids=[
        "assess-at",
        "rescore-nothing",
        "rescore-both",
        "rescore-wait",
        "rescore-bad-id",
        "forget-bad-id",
        "bench-only",
        "twin-faults",
    ],
)
def test_a_bad_argument_is_named(
    leadflow_env: dict[str, str], tmp_path: Path, command: list[str], expected: str
) -> None:
    line = the_error_line(leadflow(leadflow_env, tmp_path, *command))
    assert line.startswith(expected), line


@pytest.mark.parametrize(("log_format", "json_lines"), [(None, False), ("json", True)], ids=["default", "json"])
def test_an_interactive_command_logs_retries_as_readable_text_unless_log_format_says_json(
    leadflow_env: dict[str, str], tmp_path: Path, log_format: str | None, json_lines: bool
) -> None:
    """`setup` against a HubSpot that does not answer: the first retry line names the operation and the wait."""
    env = {**leadflow_env, "HUBSPOT_API_BASE": "http://127.0.0.1:1", "HUBSPOT_ACCESS_TOKEN": "t"}
    if log_format:
        env["LOG_FORMAT"] = log_format
    command = [LEADFLOW, "setup"]
    with subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as process:
        assert process.stderr is not None
        lines: list[str] = []
        try:  # the whole run retries for ~20 s; its first retry line is enough
            while not lines or ("hubspot.retry" not in lines[-1] and lines[-1]):
                lines.append(process.stderr.readline().decode())
        finally:
            process.kill()
    first = lines[-1]
    assert "hubspot.retry" in first, lines
    assert all(line.startswith("{") == json_lines for line in lines), lines
    if json_lines:
        entry = json.loads(first)
        assert (entry["operation"], entry["attempt"]) == ("read property group leadflow", 1), first
        assert entry["wait_seconds"] > 0
    else:
        assert ' warning hubspot.retry operation="read property group leadflow" attempt=1 attempts=6 ' in first
        assert "wait_seconds=" in first and "no answer from HubSpot" in first
