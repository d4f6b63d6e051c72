"""Settings: read once from the environment, validated with one clear message, secrets never shown."""

from __future__ import annotations

import os
import traceback
from pathlib import Path

import pytest

from app.settings import Environment, Settings, SettingsError, load_settings

TOKEN = "pat-na1-token-7f3a9c"
CLIENT_SECRET = "client-secret-5d2e81"
DB_PASSWORD = "db-password-4b6c02"
PRODUCTION_SECRETS = {"hubspot_access_token": TOKEN, "hubspot_client_secret": CLIENT_SECRET, "hubspot_app_id": "4242"}
DEVELOPMENT = {"leadflow_env": "development"}


@pytest.fixture(autouse=True)
def empty_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each test as if none of Leadflow's variables were set, whatever the developer's shell exports."""
    names = {name.upper() for name in Settings.model_fields}
    for name in list(os.environ):
        if name.upper() in names:
            monkeypatch.delenv(name)


def settings_error(overrides: dict[str, object]) -> SettingsError:
    with pytest.raises(SettingsError) as raised:
        load_settings(overrides)
    return raised.value


def everything_shown(error: SettingsError) -> str:
    """Return what a crash at start-up would print: the message and the whole formatted traceback."""
    return f"{error}\n{error!r}\n{''.join(traceback.format_exception(error))}"


def test_production_without_credentials_fails_naming_every_missing_variable() -> None:
    error = settings_error({})
    message = str(error)
    for name in ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_CLIENT_SECRET", "HUBSPOT_APP_ID"):
        assert name in message
    assert "production" in message


def test_production_names_only_the_credentials_that_are_missing() -> None:
    message = str(settings_error({"hubspot_access_token": TOKEN, "hubspot_app_id": "4242"}))
    assert "HUBSPOT_CLIENT_SECRET" in message
    assert "HUBSPOT_ACCESS_TOKEN" not in message
    assert "HUBSPOT_APP_ID" not in message


def test_an_empty_credential_counts_as_missing_in_production() -> None:
    message = str(settings_error({**PRODUCTION_SECRETS, "hubspot_access_token": ""}))
    assert "HUBSPOT_ACCESS_TOKEN" in message


def test_production_with_every_credential_loads() -> None:
    settings = load_settings(PRODUCTION_SECRETS)
    assert settings.leadflow_env is Environment.PRODUCTION
    assert settings.access_token() == TOKEN


@pytest.mark.parametrize("env", ["development", "demo"])
def test_development_and_demo_run_without_hubspot_credentials(env: str) -> None:
    settings = load_settings({"leadflow_env": env})
    assert settings.hubspot_access_token is None
    with pytest.raises(SettingsError, match="HUBSPOT_ACCESS_TOKEN"):
        settings.access_token()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("hubspot_rate_limit", 0),
        ("hubspot_rate_limit", 10_001),
        ("hubspot_api_base", "not a url"),
        ("hubspot_api_base", "ftp://api.hubapi.com"),
        ("drain_batch_size", 1001),
        ("drain_batch_size", 0),
        ("drain_debounce_seconds", -1),
        ("decay_sweep_seconds", 59),
        ("decay_sweep_seconds", "often"),
        ("sla_watch_seconds", 9),
        ("sla_watch_seconds", 3601),
        ("touch_reconcile_seconds", 59),
        ("touch_reconcile_seconds", "often"),
        ("nurture_due_seconds", 59),
        ("hubspot_read_timeout", 0),
        ("webhook_max_body_bytes", 10),
        ("public_url", "leadflow.example.com/webhooks"),
        ("leadflow_env", "staging"),
        ("hubspot_timezone", "Mars/Olympus"),
        ("hubspot_timezone", "europe/berlin"),
        ("hubspot_timezone", ""),
        ("hubspot_app_id", "abc"),
        ("hubspot_app_id", "0"),
        ("hubspot_app_id", "-4242"),
        ("hubspot_app_id", "42.5"),
        ("database_url", "nonsense"),
        ("database_url", "mysql://leadflow@db.internal/leadflow"),
        ("database_url", "postgresql://leadflow@db.internal:port/leadflow"),
        ("redis_url", "nonsense"),
        ("redis_url", "http://cache.internal:6379/0"),
        ("redis_url", "redis://cache.internal:port/0"),
    ],
)
def test_an_invalid_value_fails_naming_the_variable(name: str, value: object) -> None:
    message = str(settings_error({**DEVELOPMENT, name: value}))
    assert message.startswith("Invalid settings: ")
    assert f"{name.upper()}:" in message


def test_a_time_zone_or_app_id_is_named_with_the_value_given() -> None:
    message = str(settings_error({**DEVELOPMENT, "hubspot_timezone": "Mars/Olympus", "hubspot_app_id": "abc"}))
    assert "HUBSPOT_TIMEZONE: must be an IANA time zone such as Europe/Berlin (not 'Mars/Olympus')" in message
    assert "HUBSPOT_APP_ID: must be the private app's id, a positive whole number (not 'abc')" in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("database_url", f"mysql://leadflow:{DB_PASSWORD}@db.internal/leadflow"),
        ("database_url", f"postgresql://leadflow:{DB_PASSWORD}@db.internal:port/leadflow"),
        ("redis_url", f"http://:{DB_PASSWORD}@cache.internal:6379/0"),
        ("redis_url", f"redis://:{DB_PASSWORD}@cache.internal:port/0"),
    ],
)
def test_an_invalid_connection_url_is_named_without_its_password(name: str, value: str) -> None:
    error = settings_error({**DEVELOPMENT, name: value})
    assert f"{name.upper()}: must be a " in str(error)
    assert DB_PASSWORD not in everything_shown(error)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("hubspot_timezone", "Europe/Berlin"),
        ("hubspot_app_id", "4242"),
        ("database_url", "sqlite:///leadflow.db"),
        ("database_url", "postgres://leadflow@db.internal/leadflow"),
        ("database_url", "postgresql+psycopg://leadflow@db.internal/leadflow?options=-csearch_path%3Dx"),
        ("redis_url", "rediss://:password@cache.internal:6380/2"),
        ("redis_url", "unix:///var/run/redis.sock"),
    ],
)
def test_a_valid_value_loads_as_given(name: str, value: str) -> None:
    assert getattr(load_settings({**DEVELOPMENT, name: value}), name) == value


def test_the_redis_url_counts_as_set_only_when_the_environment_sets_it(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(DEVELOPMENT).redis_url_if_set() is None
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/3")
    assert load_settings(DEVELOPMENT).redis_url_if_set() == "redis://cache.internal:6379/3"


def test_the_database_url_counts_as_set_only_when_the_environment_sets_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert load_settings(DEVELOPMENT).database_url_if_set() is None
    monkeypatch.setenv("DATABASE_URL", "postgresql://leadflow@db.internal/demo")
    assert load_settings(DEVELOPMENT).database_url_if_set() == "postgresql://leadflow@db.internal/demo"


def test_every_invalid_value_is_named_in_one_message() -> None:
    message = str(settings_error({**DEVELOPMENT, "hubspot_rate_limit": 0, "drain_batch_size": 1001}))
    assert "HUBSPOT_RATE_LIMIT" in message
    assert "DRAIN_BATCH_SIZE" in message


def test_missing_credentials_are_named_even_when_another_value_is_invalid() -> None:
    message = str(settings_error({"hubspot_rate_limit": 0}))
    assert "HUBSPOT_RATE_LIMIT" in message
    assert "HUBSPOT_ACCESS_TOKEN" in message


@pytest.mark.parametrize(
    "overrides",
    [
        {**DEVELOPMENT, "hubspot_access_token": TOKEN, "hubspot_client_secret": CLIENT_SECRET, "hubspot_rate_limit": 0},
        {**DEVELOPMENT, "hubspot_access_token": TOKEN, "hubspot_api_base": f"https://{TOKEN} bad"},
        {"hubspot_access_token": TOKEN, "hubspot_client_secret": CLIENT_SECRET},
        {"hubspot_client_secret": CLIENT_SECRET, "hubspot_app_id": "4242", "drain_batch_size": 1001},
    ],
    ids=["next-to-a-bad-value", "inside-a-bad-value", "production-check", "production-and-bad-value"],
)
def test_a_secret_never_appears_in_a_settings_error(overrides: dict[str, object]) -> None:
    shown = everything_shown(settings_error(overrides))
    assert TOKEN not in shown
    assert CLIENT_SECRET not in shown


def test_a_secret_given_as_the_wrong_type_is_not_echoed() -> None:
    shown = everything_shown(settings_error({**DEVELOPMENT, "hubspot_client_secret": 918273645546372819}))
    assert "HUBSPOT_CLIENT_SECRET" in shown
    assert "918273645546372819" not in shown


def test_secrets_never_appear_in_the_settings_repr() -> None:
    settings = load_settings(PRODUCTION_SECRETS)
    for shown in (repr(settings), str(settings), repr(settings.model_dump())):
        assert TOKEN not in shown
        assert CLIENT_SECRET not in shown
    assert settings.hubspot_client_secret is not None
    assert settings.hubspot_client_secret.get_secret_value() == CLIENT_SECRET


def test_a_password_in_a_connection_url_never_appears_in_the_settings_repr() -> None:
    settings = load_settings(
        {
            **DEVELOPMENT,
            "database_url": f"postgresql://leadflow:{DB_PASSWORD}@db.internal:5432/leadflow",
            "redis_url": f"redis://:{DB_PASSWORD}@cache.internal:6379/0",
        }
    )
    assert DB_PASSWORD not in repr(settings)
    assert DB_PASSWORD not in str(settings)


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADFLOW_ENV", "production")
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("HUBSPOT_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("HUBSPOT_APP_ID", "4242")
    monkeypatch.setenv("HUBSPOT_API_BASE", "http://127.0.0.1:8765/")
    monkeypatch.setenv("HUBSPOT_RATE_LIMIT", "95")
    monkeypatch.setenv("DATABASE_URL", "postgresql://leadflow@db.internal/leadflow")
    monkeypatch.setenv("LEADFLOW_CONFIG", "/etc/leadflow")
    settings = load_settings()
    assert settings.access_token() == TOKEN
    assert settings.hubspot_app_id == "4242"
    assert settings.api_base == "http://127.0.0.1:8765"
    assert settings.hubspot_rate_limit == 95
    assert settings.database_url == "postgresql://leadflow@db.internal/leadflow"
    assert settings.leadflow_config == Path("/etc/leadflow")
    assert load_settings({"hubspot_rate_limit": 50}).hubspot_rate_limit == 50  # explicit values win


def test_settings_cannot_be_changed_after_loading() -> None:
    settings = load_settings(DEVELOPMENT)
    with pytest.raises(ValueError, match="frozen"):
        settings.hubspot_rate_limit = 5  # type: ignore[misc]


def test_log_level_and_format_are_read_in_any_case_and_the_format_defaults_per_process() -> None:
    from app.settings import LogFormat, LogLevel

    settings = load_settings({**DEVELOPMENT, "log_level": "debug", "log_format": "TEXT"})
    assert (settings.log_level, settings.log_format) == (LogLevel.DEBUG, LogFormat.TEXT)
    unset = load_settings(DEVELOPMENT)
    assert (unset.log_level, unset.log_format) == (LogLevel.INFO, None)
    assert unset.log_format_or(LogFormat.JSON) is LogFormat.JSON
    assert settings.log_format_or(LogFormat.JSON) is LogFormat.TEXT


def test_an_unknown_log_format_is_named() -> None:
    assert "LOG_FORMAT" in str(settings_error({**DEVELOPMENT, "log_format": "xml"}))
