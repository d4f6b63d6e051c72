"""pytest-xdist: each worker gets a Redis database of its own (a plain run keeps databases 11 and 13) and a share
of the tests that starts with its part of the slow ones."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import pytest_collection_modifyitems, redis_database_numbers, redis_urls_of


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


@dataclass
class Item:
    nodeid: str


def test_under_xdist_each_workers_share_starts_with_its_part_of_the_slow_folders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folders = {"u": "unit", "e": "e2e", "f": "faults", "i": "integration"}
    names = [f"tests/{folders[test[0]]}/x.py::{test}" for test in ("u1", "e1", "f1", "u2", "i1", "f2", "e2", "u3")]
    items = [Item(name) for name in names]
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)
    pytest_collection_modifyitems(pytest.Config, items)  # type: ignore[arg-type]
    assert [item.nodeid for item in items] == names, "a plain run keeps the collection order"
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    pytest_collection_modifyitems(pytest.Config, items)  # type: ignore[arg-type]
    tests = [item.nodeid.rpartition("::")[2] for item in items]
    assert (tests[:4], tests[4:]) == (["f1", "e1", "i1", "u2"], ["f2", "e2", "u1", "u3"]), "two shares, slow first"
