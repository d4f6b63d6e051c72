"""Injected faults (``FaultPlan``) reach the official SDK the way HubSpot's own failures do."""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import urllib3
from hubspot import HubSpot
from hubspot.crm.contacts import SimplePublicObjectInputForCreate

from hubspot_twin import Twin, TwinServer
from hubspot_twin.http.faults import FaultPlan, FaultRule
from hubspot_twin.http.guard import GuardConfig, TwinGuard
from tests.integration.twin.support import TOKEN
from tests.integration.twin.test_limits import PAGE, Answer, FakeClock, Guarded, fetch, sdk_error

CREATE = SimplePublicObjectInputForCreate(properties={"email": "ada@example.com"})


@pytest.fixture
def serve(twin: Twin) -> Iterator[Callable[..., Guarded]]:
    """Start guarded servers on a fake monotonic clock, with a fault plan; stop them after."""
    servers: list[TwinServer] = []

    def start(plan: FaultPlan, **options: Any) -> Guarded:
        guard = TwinGuard(twin.app, GuardConfig(faults=plan), **{"clock": FakeClock(), **options})
        server = TwinServer(guard).start()  # type: ignore[arg-type]
        servers.append(server)
        return Guarded(guard, server)

    yield start
    for server in servers:
        server.stop()


def plan(*rules: FaultRule, **shares: Any) -> FaultPlan:
    return FaultPlan(rules=rules, **shares)


def outcome(url: str, method: str = "GET", path: str = PAGE, body: Any = None) -> int | str:
    """Return the status of one urllib request, or ``"dropped"`` when no answer came."""
    try:
        answer: Answer = fetch(url, method, path, body)
    except http.client.RemoteDisconnected:
        return "dropped"
    return answer.status


def contact_count(url: str) -> int:
    return len(fetch(url, "GET", "/crm/v3/objects/contacts?limit=100").body["results"])


def test_an_injected_429_reaches_the_sdk_as_the_ten_second_limit(serve: Callable[..., Guarded]) -> None:
    guarded = serve(plan(FaultRule("rate_limit", first=1, retry_after=3)))
    client = HubSpot(access_token=TOKEN, host=guarded.url)

    status, body, headers = sdk_error(lambda: client.crm.contacts.basic_api.create(CREATE))

    assert (status, body["policyName"], body["errorType"]) == (429, "TEN_SECONDLY_ROLLING", "RATE_LIMIT")
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert (headers["Retry-After"], headers["X-HubSpot-RateLimit-Remaining"]) == ("3", "0")
    assert contact_count(guarded.url) == 0
    assert guarded.guard.log.entries()[0].fault == "rate_limit"


def test_the_sdks_urllib3_retries_a_get_429_that_carries_retry_after(serve: Callable[..., Guarded]) -> None:
    guarded = serve(plan(FaultRule("rate_limit", first=1, retry_after=0)))
    client = HubSpot(access_token=TOKEN, host=guarded.url)

    client.crm.contacts.basic_api.get_page(limit=1)

    assert [entry.status for entry in guarded.guard.log.entries()] == [429, 200]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_an_injected_server_error_is_an_api_exception(serve: Callable[..., Guarded], status: int) -> None:
    guarded = serve(plan(FaultRule("server_error", first=1, status=status)))
    client = HubSpot(access_token=TOKEN, host=guarded.url)

    got, body, headers = sdk_error(lambda: client.crm.contacts.basic_api.create(CREATE))

    assert (got, body["status"]) == (status, "error")
    assert headers["X-HubSpot-Correlation-Id"] == body["correlationId"]
    assert body["message"] == ("internal error" if status == 500 else http.client.responses[status])
    assert contact_count(guarded.url) == 0


def test_without_a_fixed_status_a_server_error_is_one_of_hubspots_5xx(serve: Callable[..., Guarded]) -> None:
    guarded = serve(plan(seed=3, server_error=1.0))

    statuses = {outcome(guarded.url) for _ in range(24)}

    assert statuses <= {500, 502, 503, 504} and len(statuses) > 1


def test_a_slow_answer_times_the_sdk_out_while_the_twin_still_serves_it(serve: Callable[..., Guarded]) -> None:
    guarded = serve(plan(FaultRule("slow", method="POST", first=1, delay=0.5)))
    client = HubSpot(access_token=TOKEN, host=guarded.url)

    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        client.crm.contacts.basic_api.create(CREATE, _request_timeout=(1, 0.2))

    deadline = time.monotonic() + 3
    while contact_count(guarded.url) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert contact_count(guarded.url) == 1


def test_a_slow_fault_waits_its_delay_before_serving(serve: Callable[..., Guarded]) -> None:
    waits: list[float] = []
    guarded = serve(plan(slow=1.0, delay=7.5), sleep=waits.append)

    assert outcome(guarded.url) == 200
    assert waits == [7.5]


def test_a_dropped_connection_is_no_answer_for_the_sdk(serve: Callable[..., Guarded]) -> None:
    guarded = serve(plan(FaultRule("drop", method="POST", first=1)))
    client = HubSpot(access_token=TOKEN, host=guarded.url)

    with pytest.raises(urllib3.exceptions.ProtocolError, match="Remote end closed connection without response"):
        client.crm.contacts.basic_api.create(CREATE)

    assert contact_count(guarded.url) == 0
    assert guarded.guard.log.entries()[0].status is None


def test_a_get_dropped_on_every_try_exhausts_urllib3s_retries(serve: Callable[..., Guarded]) -> None:
    guarded = serve(plan(FaultRule("drop", method="GET", first=4)))
    client = HubSpot(access_token=TOKEN, host=guarded.url)

    with pytest.raises(urllib3.exceptions.MaxRetryError):
        client.crm.contacts.basic_api.get_page(limit=1)

    assert [entry.status for entry in guarded.guard.log.entries()] == [None] * 4  # urllib3's default: 3 retries
    assert client.crm.contacts.basic_api.get_page(limit=1).results == []


def test_a_connection_dropped_after_serving_leaves_the_write_in_place(serve: Callable[..., Guarded]) -> None:
    guarded = serve(plan(FaultRule("drop", method="POST", first=1, after_serving=True)))

    assert outcome(guarded.url, "POST", "/crm/v3/objects/contacts", {"properties": {"email": "a@b.co"}}) == "dropped"

    assert contact_count(guarded.url) == 1


def test_rules_match_a_method_and_a_path_glob(serve: Callable[..., Guarded]) -> None:
    guarded = serve(plan(FaultRule("server_error", share=1.0, method="post", path="/crm/v3/objects/*/batch/*")))

    batch = outcome(guarded.url, "POST", "/crm/v3/objects/contacts/batch/read", {"inputs": []})
    created = outcome(guarded.url, "POST", "/crm/v3/objects/contacts", {"properties": {"email": "a@b.co"}})

    assert (outcome(guarded.url), created) == (200, 201)
    assert batch in {500, 502, 503, 504}


def test_every_kth_matching_request_is_faulted(serve: Callable[..., Guarded]) -> None:
    guarded = serve(plan(FaultRule("server_error", method="GET", every=3, status=503)))
    statuses = []
    for _ in range(7):
        statuses.append(outcome(guarded.url))
        assert outcome(guarded.url, "POST", "/crm/v3/objects/contacts/search", {}) != 503  # not matched

    assert statuses == [200, 200, 503, 200, 200, 503, 200]


def test_a_seeded_plan_gives_the_same_faults_for_the_same_requests(serve: Callable[..., Guarded]) -> None:
    mixed = FaultPlan(seed=42, rate_limit=0.15, server_error=0.15, slow=0.15, drop=0.15)
    guarded = serve(mixed, sleep=lambda _seconds: None)

    def run() -> list[tuple[int | str, str | None]]:
        guarded.guard.log.reset()
        statuses = [outcome(guarded.url) for _ in range(40)]
        return list(zip(statuses, [entry.fault for entry in guarded.guard.log.entries()], strict=True))

    first = run()
    guarded.guard.set_faults(mixed)
    again = run()
    guarded.guard.set_faults(FaultPlan(seed=7, rate_limit=0.15, server_error=0.15, slow=0.15, drop=0.15))
    other = run()

    assert first == again
    assert other != first
    assert {fault for _, fault in first} == {None, "rate_limit", "server_error", "slow", "drop"}


def test_control_paths_are_never_faulted(serve: Callable[..., Guarded]) -> None:
    guarded = serve(plan(server_error=0.5, drop=0.5))
    paths = ("/_twin/requests", "/_twin/stats", "/_twin/log", "/_twin/faults", "/_twin/limits")

    statuses = [outcome(guarded.url, "GET", path) for path in paths * 4]

    assert set(statuses) == {200}
    assert outcome(guarded.url, "POST", "/_twin/reset") == 200
    assert outcome(guarded.url) in {"dropped", 500, 502, 503, 504}


def test_the_fault_plan_is_configured_over_http(serve: Callable[..., Guarded]) -> None:
    guarded = serve(FaultPlan())
    wanted = {"seed": 1, "server_error": 0.5, "rules": [{"kind": "drop", "path": "/crm/v3/objects/companies*"}]}

    answer = fetch(guarded.url, "PUT", "/_twin/faults", wanted)

    expected = FaultPlan(seed=1, server_error=0.5, rules=(FaultRule("drop", path="/crm/v3/objects/companies*"),))
    assert answer.status == 200
    assert answer.body == expected.to_json() == fetch(guarded.url, "GET", "/_twin/faults").body
    assert guarded.guard.faults == expected
    assert answer.body["rules"][0] == {
        "kind": "drop",
        "share": 0.0,
        "method": "*",
        "path": "/crm/v3/objects/companies*",
        "first": None,
        "every": None,
        "status": None,
        "delay": 2.0,
        "retry_after": 1,
        "after_serving": False,
    }
    assert fetch(guarded.url, "PUT", "/_twin/faults", {}).body == FaultPlan().to_json()
    assert outcome(guarded.url) == 200


@pytest.mark.parametrize(
    "body",
    [
        {"server_error": 0.7, "drop": 0.5},
        {"slow": -0.1},
        {"colour": "red"},
        {"rules": [{"kind": "explode"}]},
        {"rules": [{"share": 1.0}]},
        {"rules": [{"kind": "server_error", "status": 404}]},
        {"rules": [{"kind": "drop", "first": 0}]},
        {"rules": {"kind": "drop"}},
    ],
)
def test_an_invalid_fault_plan_is_refused_with_a_400(serve: Callable[..., Guarded], body: Any) -> None:
    guarded = serve(FaultPlan(drop=0.1))

    answer = fetch(guarded.url, "PUT", "/_twin/faults", body)

    assert (answer.status, answer.body["category"]) == (400, "VALIDATION_ERROR")
    assert guarded.guard.faults == FaultPlan(drop=0.1)
