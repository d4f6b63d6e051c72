"""DASHBOARD_USERS and DASHBOARD_TOKEN: checked at start-up, each problem named in one line, never a traceback; the
entries `leadflow dash-user` prints are accepted."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from werkzeug.security import check_password_hash, generate_password_hash

from app import create_app
from app.cli import main
from app.settings import Settings, SettingsError, load_settings

BASE = {"leadflow_env": "development"}


@pytest.fixture(autouse=True)
def empty_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    names = {name.upper() for name in Settings.model_fields}
    for name in list(os.environ):
        if name.upper() in names:
            monkeypatch.delenv(name)


@pytest.mark.parametrize(
    ("users", "problem"),
    [
        ("ann", "entry 1 ('ann') must be NAME:HASH"),
        ("ann:plaintext-password", "entry 1 ('ann') must be NAME:HASH"),
        (f"ann:{generate_password_hash('x')},:{generate_password_hash('y')}", "entry 2 ('no name')"),
        ("ann:md5:1$salt$hash", "werkzeug pbkdf2 or scrypt hash"),
        (f"ann:{generate_password_hash('x')},ann:{generate_password_hash('y')}", "entry 2 names 'ann' a second time"),
    ],
)
def test_a_bad_users_entry_stops_start_up_naming_the_variable_and_the_entry(users: str, problem: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({**BASE, "dashboard_users": users})
    message = str(raised.value)
    assert "DASHBOARD_USERS" in message and problem in message
    assert "plaintext-password" not in message  # the value itself is never repeated


def test_a_short_token_is_refused() -> None:
    with pytest.raises(SettingsError, match="DASHBOARD_TOKEN: must be at least 16 characters"):
        load_settings({**BASE, "dashboard_token": "short"})


def test_good_entries_give_the_accounts_and_the_secrets_stay_masked() -> None:
    hashes = generate_password_hash("a", method="pbkdf2:sha256"), generate_password_hash("b")
    settings = load_settings({**BASE, "dashboard_users": f" ann:{hashes[0]} , bob:{hashes[1]},",
                              "dashboard_token": "t" * 20})  # fmt: skip
    assert settings.dashboard_logins() == {"ann": hashes[0], "bob": hashes[1]}
    assert settings.dashboard_token_value() == "t" * 20
    assert hashes[0] not in repr(settings) and "t" * 20 not in repr(settings)


def test_without_either_the_dashboard_has_no_way_in() -> None:
    settings = load_settings(BASE)
    assert settings.dashboard_logins() == {} and settings.dashboard_token_value() is None


def test_the_web_app_refuses_to_start_with_a_bad_entry_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADFLOW_ENV", "development")
    monkeypatch.setenv("DASHBOARD_USERS", "ann")
    with pytest.raises(SystemExit) as raised:
        create_app()
    assert str(raised.value).startswith("leadflow: Invalid settings: DASHBOARD_USERS: entry 1")
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_dashboard_user_prints_an_entry_the_settings_accept() -> None:
    result = CliRunner().invoke(main, ["dash-user", "ann", "--password", "s3cret"])
    assert result.exit_code == 0, result.output
    entry = result.output.strip()
    name, _, password_hash = entry.partition(":")
    assert name == "ann" and check_password_hash(password_hash, "s3cret")
    assert load_settings({**BASE, "dashboard_users": entry}).dashboard_logins() == {"ann": password_hash}


def test_dashboard_user_refuses_a_name_that_would_break_the_list() -> None:
    result = CliRunner().invoke(main, ["dash-user", "a,b", "--password", "x"])
    assert result.exit_code == 2 and "NAME" in result.output
