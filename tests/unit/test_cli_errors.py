"""The one line a command ends with when the user can fix the failure; a bug keeps its traceback."""

from __future__ import annotations

import pytest
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import OperationalError

from app.cli_errors import explain
from app.settings import Settings, load_settings
from app.sync.hubspot.errors import PermanentHubSpotError, RateLimited, TransientHubSpotError

PASSWORD = "pw-0d93a7c5-secret"


@pytest.fixture
def settings() -> Settings:
    return load_settings(
        {
            "leadflow_env": "development",
            "database_url": f"postgresql://leadflow:{PASSWORD}@db.internal:5432/leadflow",
            "redis_url": f"redis://:{PASSWORD}@cache.internal:6379/0",
            "hubspot_api_base": "http://127.0.0.1:8765",
        }
    )


def test_a_bug_is_not_explained_so_it_keeps_its_traceback(settings: Settings) -> None:
    assert explain(KeyError("contact"), settings) is None
    assert explain(ValueError("bad"), None) is None


def test_a_database_failure_names_the_url_without_its_password_even_when_the_driver_quotes_it(
    settings: Settings,
) -> None:
    driver = Exception(f'password "{PASSWORD}" rejected\nHINT: check pg_hba.conf')
    line = explain(OperationalError("SELECT 1", {}, driver), settings)
    assert line == (
        "cannot use the ledger database (DATABASE_URL=postgresql://leadflow:***@db.internal:5432/leadflow): "
        'password "***" rejected'
    )


def test_redis_not_answering_names_the_url_without_its_password(settings: Settings) -> None:
    line = explain(RedisTimeoutError("Timeout reading from cache.internal:6379"), settings)
    assert (
        line
        == "cannot reach Redis (REDIS_URL=redis://:***@cache.internal:6379/0): Timeout reading from cache.internal:6379"
    )


def test_without_settings_the_variable_is_named_alone() -> None:
    assert explain(RedisTimeoutError("Timeout"), None) == "cannot reach Redis (REDIS_URL): Timeout"


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (
            PermanentHubSpotError("list owners: HubSpot answered 401: expired", 401),
            "HubSpot refused the access token (HUBSPOT_ACCESS_TOKEN): list owners: HubSpot answered 401: expired",
        ),
        (
            PermanentHubSpotError("list owners: HubSpot answered 403: missing scopes", 403),
            "HubSpot refused a request made with the access token (HUBSPOT_ACCESS_TOKEN): "
            "list owners: HubSpot answered 403: missing scopes",
        ),
        (
            TransientHubSpotError("list owners: MaxRetryError: no answer from HubSpot"),
            "HubSpot did not answer (HUBSPOT_API_BASE=http://127.0.0.1:8765): "
            "list owners: MaxRetryError: no answer from HubSpot",
        ),
        (
            RateLimited("list owners: HubSpot answered 429", retry_after=10, daily=False),
            "HubSpot failed (HUBSPOT_API_BASE=http://127.0.0.1:8765): list owners: HubSpot answered 429",
        ),
    ],
    ids=["401", "403", "no-answer", "429"],
)
def test_hubspot_failures_name_the_token_or_the_api_base(settings: Settings, error: Exception, line: str) -> None:
    assert explain(error, settings) == line
