"""The guard's request log and counts: Python API and ``/_twin/log``, ``/_twin/stats``, ``/_twin/log/reset``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from hubspot_twin import Twin, TwinServer
from hubspot_twin.http.faults import FaultPlan, FaultRule
from hubspot_twin.http.guard import GuardConfig, TwinGuard
from hubspot_twin.http.requestlog import token_label
from tests.integration.twin.support import TOKEN
from tests.integration.twin.test_limits import PAGE, FakeClock, FakeWallClock, Guarded, fetch

NOON = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def serve(twin: Twin) -> Iterator[Callable[..., Guarded]]:
    """Start guarded servers on fake clocks (monotonic and wall); stop them after."""
    servers: list[TwinServer] = []

    def start(config: GuardConfig | None = None) -> Guarded:
        guard = TwinGuard(twin.app, config, clock=FakeClock(), wall_clock=FakeWallClock(NOON))
        server = TwinServer(guard).start()  # type: ignore[arg-type]
        servers.append(server)
        return Guarded(guard, server)

    yield start
    for server in servers:
        server.stop()


def test_every_api_request_is_logged_with_its_endpoint_token_label_status_and_duration(
    serve: Callable[..., Guarded],
) -> None:
    guarded = serve()
    fetch(guarded.url, "GET", "/crm/v3/objects/contacts/1234?properties=email")
    fetch(guarded.url, "GET", PAGE, token=None)

    missing, anonymous = (entry.to_json() for entry in guarded.guard.log.entries())

    assert missing == {
        "time": "2025-03-10T12:00:00.000Z",
        "method": "GET",
        "endpoint": "GET /crm/v3/objects/contacts/{id}",
        "token": token_label(TOKEN),
        "status": 404,
        "duration_ms": missing["duration_ms"],
        "rate_limited": None,
        "fault": None,
    }
    assert isinstance(missing["duration_ms"], float) and missing["duration_ms"] >= 0
    assert str(missing["token"]).startswith("sha256:") and len(str(missing["token"])) == len("sha256:") + 12
    assert (anonymous["token"], anonymous["status"]) == (None, 401)
    assert TOKEN not in json.dumps(fetch(guarded.url, "GET", "/_twin/log").body)


def test_rate_limited_and_faulted_requests_are_flagged(serve: Callable[..., Guarded]) -> None:
    rule = FaultRule("server_error", method="GET", path="/crm/v3/properties/*", first=1, status=502)
    guarded = serve(GuardConfig(ten_second_limit=2, faults=FaultPlan(rules=(rule,))))
    for path in ("/crm/v3/properties/contacts", PAGE, PAGE):
        fetch(guarded.url, "GET", path)

    entries = guarded.guard.log.entries()

    assert [(e.status, e.rate_limited, e.fault) for e in entries] == [
        (502, None, "server_error"),
        (200, None, None),
        (429, "TEN_SECONDLY_ROLLING", None),
    ]


def test_the_log_is_read_over_http_newest_last(serve: Callable[..., Guarded]) -> None:
    guarded = serve()
    for object_id in range(5):
        fetch(guarded.url, "GET", f"/crm/v3/objects/companies/{object_id}")
    fetch(guarded.url, "GET", PAGE)

    answer = fetch(guarded.url, "GET", "/_twin/log?limit=2")

    assert answer.status == 200
    assert (answer.body["size"], answer.body["capacity"]) == (6, 10_000)
    assert [entry["endpoint"] for entry in answer.body["entries"]] == [
        "GET /crm/v3/objects/companies/{id}",
        "GET /crm/v3/objects/contacts",
    ]
    assert len(fetch(guarded.url, "GET", "/_twin/log").body["entries"]) == 6
    assert fetch(guarded.url, "GET", "/_twin/log?limit=0").body["entries"] == []
    assert fetch(guarded.url, "GET", "/_twin/log?limit=-1").status == 400


def test_the_log_is_bounded_but_the_counts_are_not(serve: Callable[..., Guarded]) -> None:
    guarded = serve(GuardConfig(log_size=3))
    for object_id in range(5):
        fetch(guarded.url, "GET", f"/crm/v3/objects/contacts/{object_id}")

    entries = fetch(guarded.url, "GET", "/_twin/log").body

    assert (entries["size"], entries["capacity"], len(entries["entries"])) == (3, 3, 3)
    assert guarded.guard.stats()["total"] == 5


def test_stats_count_endpoints_statuses_policies_and_faults(serve: Callable[..., Guarded]) -> None:
    rule = FaultRule("drop", method="POST", first=1)
    guarded = serve(GuardConfig(ten_second_limit=3, search_per_second=1, faults=FaultPlan(rules=(rule,))))
    for _ in range(2):
        fetch(guarded.url, "GET", PAGE)
    with pytest.raises(ConnectionError):
        fetch(guarded.url, "POST", "/crm/v3/objects/contacts", {"properties": {}})
    for _ in range(2):
        fetch(guarded.url, "POST", "/crm/v3/objects/contacts/search", {})
    fetch(guarded.url, "GET", PAGE)

    stats = fetch(guarded.url, "GET", "/_twin/stats").body

    assert stats == guarded.guard.stats()
    assert stats["total"] == 6
    assert stats["endpoints"]["GET /crm/v3/objects/contacts"] == {"200": 2, "429": 1}
    assert stats["endpoints"]["POST /crm/v3/objects/contacts"] == {"dropped": 1}
    assert stats["endpoints"]["POST /crm/v3/objects/contacts/search"]["429"] == 1
    assert stats["statuses"]["429"] == 2 and stats["statuses"]["dropped"] == 1
    assert stats["rate_limited"] == {"SECONDLY": 1, "TEN_SECONDLY_ROLLING": 1}
    assert stats["faults"] == {"drop": 1}


def test_resetting_the_log_keeps_the_rate_limit_usage(serve: Callable[..., Guarded]) -> None:
    guarded = serve()
    fetch(guarded.url, "GET", PAGE)

    reset = fetch(guarded.url, "POST", "/_twin/log/reset")

    assert reset.body == {"total": 0, "endpoints": {}, "statuses": {}, "rate_limited": {}, "faults": {}}
    assert guarded.guard.log.entries() == []
    assert fetch(guarded.url, "GET", PAGE).headers["X-HubSpot-RateLimit-Remaining"] == "188"


def test_other_control_paths_reach_the_app_and_none_is_logged(serve: Callable[..., Guarded], twin: Twin) -> None:
    guarded = serve(GuardConfig(ten_second_limit=1))
    fetch(guarded.url, "GET", PAGE)
    fetch(guarded.url, "GET", PAGE)  # refused by the guard: the app never counts it

    counts = fetch(guarded.url, "GET", "/_twin/requests")

    assert counts.body == {"counts": {"GET /crm/v3/objects/contacts": 1}, "total": 1}
    assert fetch(guarded.url, "POST", "/_twin/requests/reset").status == 200
    assert twin.total_requests() == 0
    assert fetch(guarded.url, "GET", "/_twin/no-such-thing").status == 404
    assert fetch(guarded.url, "DELETE", "/_twin/log").status == 405
    assert [entry.endpoint for entry in guarded.guard.log.entries()] == ["GET /crm/v3/objects/contacts"] * 2


def test_concurrent_requests_are_limited_and_counted_exactly(serve: Callable[..., Guarded]) -> None:
    guarded = serve(GuardConfig(ten_second_limit=50))

    def burst(_worker: int) -> list[int]:
        return [fetch(guarded.url, "GET", PAGE).status for _ in range(10)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses: list[Any] = [status for batch in pool.map(burst, range(8)) for status in batch]

    assert (statuses.count(200), statuses.count(429)) == (50, 30)
    assert guarded.guard.stats()["rate_limited"] == {"TEN_SECONDLY_ROLLING": 30}
    assert len(guarded.guard.log.entries()) == 80
