"""Each pytest-xdist worker gets a Redis database of its own; a plain run keeps databases 11 and 13."""

from __future__ import annotations

import pytest

from tests.conftest import redis_database_numbers, redis_urls_of


def test_a_plain_run_uses_the_tests_and_the_commands_databases() -> None:
    assert redis_urls_of({}) == ("redis://127.0.0.1:6379/11", "redis://127.0.0.1:6379/13")
    own = {"LEADFLOW_TEST_REDIS_URL": "redis://cache:6380/2", "LEADFLOW_TEST_CLI_REDIS_URL": "redis://cache:6380/3"}
    assert redis_urls_of(own) == ("redis://cache:6380/2", "redis://cache:6380/3")


def test_each_xdist_worker_takes_its_own_database_on_the_tests_server_for_both() -> None:
    urls = {f"gw{n}": redis_urls_of({"PYTEST_XDIST_WORKER": f"gw{n}"}) for n in range(4)}
    assert urls["gw0"] == ("redis://127.0.0.1:6379/1", "redis://127.0.0.1:6379/1")
    assert [tests for tests, _commands in urls.values()] == [f"redis://127.0.0.1:6379/{n}" for n in (1, 2, 3, 4)]
    environ = {
        "PYTEST_XDIST_WORKER": "gw2",
        "LEADFLOW_TEST_REDIS_URL": "redis://cache:6380/9",
        "LEADFLOW_TEST_REDIS_DBS": "0,4-5",
    }
    assert redis_urls_of(environ) == ("redis://cache:6380/5", "redis://cache:6380/5")


def test_too_few_databases_or_a_malformed_list_is_refused_naming_the_variable() -> None:
    assert redis_database_numbers("1-3, 8") == [1, 2, 3, 8]
    with pytest.raises(pytest.UsageError, match=r"LEADFLOW_TEST_REDIS_DBS='1-2': 2 Redis databases are too few .* gw2"):
        redis_urls_of({"PYTEST_XDIST_WORKER": "gw2", "LEADFLOW_TEST_REDIS_DBS": "1-2"})
    with pytest.raises(pytest.UsageError, match="LEADFLOW_TEST_REDIS_DBS: 'x' is not a database number"):
        redis_database_numbers("1,x")
