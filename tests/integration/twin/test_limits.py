"""HubSpot's rate limits in front of the twin (``TwinGuard``), driven by the official SDK and plain urllib.

Fake clocks move the ten-second and search windows and the daily reset; nothing sleeps.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import PublicObjectSearchRequest, SimplePublicObjectInputForCreate

from hubspot_twin import Twin, TwinServer
from hubspot_twin.http.guard import GuardConfig, TwinGuard
from tests.integration.twin.support import TOKEN

RATE_HEADERS = (
    "X-HubSpot-RateLimit-Daily",
    "X-HubSpot-RateLimit-Daily-Remaining",
    "X-HubSpot-RateLimit-Interval-Milliseconds",
    "X-HubSpot-RateLimit-Max",
    "X-HubSpot-RateLimit-Remaining",
)
PAGE = "/crm/v3/objects/contacts?limit=1"
SEARCH = "/crm/v3/objects/contacts/search"


class FakeClock:
    """Monotonic seconds that move only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeWallClock:
    """An aware instant that moves only when told."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Message
    body: Any


def fetch(url: str, method: str, path: str, body: Any = None, *, token: str | None = TOKEN) -> Answer:
    """Send one request with urllib; HTTP errors are answers too."""
    request = urllib.request.Request(url + path, data=None if body is None else json.dumps(body).encode())
    request.method = method
    request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return Answer(response.status, response.headers, _parse(response.read()))
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, error.headers, _parse(error.read()))


def _parse(raw: bytes) -> Any:
    return json.loads(raw) if raw else None


def sdk_error(action: Callable[[], object]) -> tuple[int, dict[str, Any], Any]:
    """Run an SDK call that must fail with an ApiException; return its status, JSON body and headers."""
    try:
        action()
    except Exception as error:
        status = getattr(error, "status", None)
        if not isinstance(status, int):
            raise
        return status, json.loads(getattr(error, "body", b"") or b"{}"), getattr(error, "headers", {})
    raise AssertionError("the call succeeded; an ApiException was expected")


def rate_headers(answer: Answer) -> dict[str, str]:
    return {name: answer.headers[name] for name in RATE_HEADERS if answer.headers[name] is not None}


@dataclass(frozen=True)
class Guarded:
    guard: TwinGuard
    server: TwinServer

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def serve(twin: Twin, clock: FakeClock) -> Iterator[Callable[..., Guarded]]:
    """Start guarded servers (the module's twin unless ``app`` is given) on the fake clock; stop them after."""
    servers: list[TwinServer] = []

    def start(config: GuardConfig | None = None, app: Any = None, **options: Any) -> Guarded:
        guard = TwinGuard(app if app is not None else twin.app, config, **{"clock": clock, **options})
        server = TwinServer(guard).start()  # type: ignore[arg-type]
        servers.append(server)
        return Guarded(guard, server)

    yield start
    for server in servers:
        server.stop()


def test_the_191st_request_within_ten_seconds_is_refused_with_hubspots_429(
    serve: Callable[..., Guarded], twin: Twin
) -> None:
    guarded = serve(GuardConfig())
    answers = [fetch(guarded.url, "GET", PAGE) for _ in range(190)]
    assert {answer.status for answer in answers} == {200}
    assert answers[-1].headers["X-HubSpot-RateLimit-Remaining"] == "0"

    client = HubSpot(access_token=TOKEN, host=guarded.url)
    create = SimplePublicObjectInputForCreate(properties={"email": "ada@example.com"})
    status, body, headers = sdk_error(lambda: client.crm.contacts.basic_api.create(create))

    assert status == 429
    assert list(body) == ["status", "message", "errorType", "correlationId", "policyName", "requestId"]
    assert body["status"] == "error"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert (body["errorType"], body["policyName"]) == ("RATE_LIMIT", "TEN_SECONDLY_ROLLING")
    assert uuid.UUID(body["correlationId"]) and headers["X-HubSpot-Correlation-Id"] == body["correlationId"]
    assert headers["Retry-After"] == "10"  # every request came at the same instant: the window frees in 10 s
    assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert (headers["X-HubSpot-RateLimit-Max"], headers["X-HubSpot-RateLimit-Remaining"]) == ("190", "0")
    assert headers["X-HubSpot-RateLimit-Daily"] == "625000"
    assert headers["X-HubSpot-RateLimit-Daily-Remaining"] == str(625_000 - 191)
    assert "POST /crm/v3/objects/contacts" not in twin.request_counts()  # a refused request never reaches the twin


def test_headers_count_down_on_every_answer_but_not_on_a_401(serve: Callable[..., Guarded]) -> None:
    guarded = serve(GuardConfig())

    first, second = fetch(guarded.url, "GET", PAGE), fetch(guarded.url, "GET", "/crm/v3/objects/contacts/999")
    unauthenticated = fetch(guarded.url, "GET", PAGE, token=None)
    unknown_token = fetch(guarded.url, "GET", PAGE, token="not-a-token-of-this-portal")

    assert rate_headers(first) == {
        "X-HubSpot-RateLimit-Daily": "625000",
        "X-HubSpot-RateLimit-Daily-Remaining": "624999",
        "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        "X-HubSpot-RateLimit-Max": "190",
        "X-HubSpot-RateLimit-Remaining": "189",
    }
    assert second.status == 404
    assert rate_headers(second)["X-HubSpot-RateLimit-Remaining"] == "188"
    assert (unauthenticated.status, rate_headers(unauthenticated)) == (401, {})
    assert (unknown_token.status, rate_headers(unknown_token)) == (401, {})
    assert fetch(guarded.url, "GET", PAGE).headers["X-HubSpot-RateLimit-Remaining"] == "187"


def test_each_token_has_its_own_budget(serve: Callable[..., Guarded]) -> None:
    portal = Twin(access_tokens={"token-a", "token-b"})
    guarded = serve(GuardConfig(ten_second_limit=2), app=portal.app)

    assert [fetch(guarded.url, "GET", PAGE, token="token-a").status for _ in range(3)] == [200, 200, 429]
    other = fetch(guarded.url, "GET", PAGE, token="token-b")

    assert other.status == 200
    assert other.headers["X-HubSpot-RateLimit-Remaining"] == "1"


def test_the_window_rolls_and_a_refused_request_counts_in_it(serve: Callable[..., Guarded], clock: FakeClock) -> None:
    guarded = serve(GuardConfig(ten_second_limit=3))
    for offset in (0, 1, 2):
        clock.now = 1000 + offset
        assert fetch(guarded.url, "GET", PAGE).status == 200

    refused = fetch(guarded.url, "GET", PAGE)  # at +2: the window holds +0, +1, +2 and now this one
    assert (refused.status, refused.headers["Retry-After"]) == (429, "9")  # +0 and +1 must leave: at +11
    clock.now = 1005
    again = fetch(guarded.url, "GET", PAGE)  # ignoring Retry-After: refused, and counted again
    assert (again.status, again.headers["Retry-After"]) == (429, "7")  # +0, +1, +2 must leave: at +12

    clock.now = 1012
    admitted = fetch(guarded.url, "GET", PAGE)  # left in the window: +5 (refused) and this one
    assert (admitted.status, admitted.headers["X-HubSpot-RateLimit-Remaining"]) == (200, "1")
    clock.now = 1022.5  # only this one in the window
    assert fetch(guarded.url, "GET", PAGE).headers["X-HubSpot-RateLimit-Remaining"] == "2"


def test_search_is_limited_to_five_a_second_and_sends_no_rate_limit_headers(
    serve: Callable[..., Guarded], clock: FakeClock
) -> None:
    guarded = serve(GuardConfig())
    searches = [fetch(guarded.url, "POST", SEARCH, {"filterGroups": [], "limit": 1}) for _ in range(5)]
    refused = fetch(guarded.url, "POST", SEARCH, {"filterGroups": [], "limit": 1})

    assert all(answer.status != 429 and rate_headers(answer) == {} for answer in searches)
    assert refused.status == 429
    assert refused.body["message"] == "You have reached your secondly limit."
    assert (refused.body["errorType"], refused.body["policyName"]) == ("RATE_LIMIT", "SECONDLY")
    assert refused.headers["Retry-After"] == "1"
    assert rate_headers(refused) == {}
    clock.now += 1
    assert fetch(guarded.url, "POST", SEARCH, {"filterGroups": [], "limit": 1}).status != 429


def test_search_has_its_own_window_but_counts_toward_the_daily_limit(serve: Callable[..., Guarded]) -> None:
    guarded = serve(GuardConfig(ten_second_limit=2, daily_limit=10))
    for _ in range(5):
        fetch(guarded.url, "POST", SEARCH, {"filterGroups": []})

    answer = fetch(guarded.url, "GET", PAGE)

    assert answer.headers["X-HubSpot-RateLimit-Remaining"] == "1"
    assert answer.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "4"


def test_the_sdk_sees_the_sixth_search_in_a_second_as_a_429_without_rate_limit_headers(
    serve: Callable[..., Guarded],
) -> None:
    client = HubSpot(access_token=TOKEN, host=serve(GuardConfig()).url)
    request = PublicObjectSearchRequest(limit=1)

    def search() -> int:
        try:
            client.crm.contacts.search_api.do_search(public_object_search_request=request)
        except Exception as error:  # the twin may not serve search yet: only the guard's answer matters here
            return int(getattr(error, "status", 0))
        return 200

    assert 429 not in [search() for _ in range(5)]
    status, body, headers = sdk_error(lambda: client.crm.contacts.search_api.do_search(request))
    assert (status, body["policyName"], headers["Retry-After"]) == (429, "SECONDLY", "1")
    assert not [name for name in headers if name.lower().startswith("x-hubspot-ratelimit")]


def test_the_daily_limit_resets_at_midnight_in_the_configured_time_zone(serve: Callable[..., Guarded]) -> None:
    wall = FakeWallClock(datetime(2025, 3, 10, 23, 30, tzinfo=UTC))  # 19:30 in New York (EDT, UTC-4)
    guarded = serve(GuardConfig(daily_limit=2, timezone="America/New_York"), wall_clock=wall)
    assert [fetch(guarded.url, "GET", PAGE).status for _ in range(2)] == [200, 200]

    refused = fetch(guarded.url, "GET", PAGE)
    assert refused.status == 429
    assert refused.body["message"] == "You have reached your daily limit."
    assert refused.body["policyName"] == "DAILY"
    assert refused.headers["Retry-After"] == str(int(timedelta(hours=4, minutes=30).total_seconds()))
    assert refused.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"

    wall.now = datetime(2025, 3, 11, 0, 30, tzinfo=UTC)  # midnight UTC has passed, not midnight in New York
    assert fetch(guarded.url, "GET", PAGE).headers["Retry-After"] == str(3 * 3600 + 1800)
    wall.now = datetime(2025, 3, 11, 4, 0, tzinfo=UTC)  # midnight in New York
    fresh = fetch(guarded.url, "GET", PAGE)
    assert (fresh.status, fresh.headers["X-HubSpot-RateLimit-Daily-Remaining"]) == (200, "1")


def test_disabled_limits_never_refuse_and_send_no_headers(serve: Callable[..., Guarded]) -> None:
    guarded = serve(GuardConfig(ten_second_limit=None, daily_limit=None, search_per_second=None))

    answers = [fetch(guarded.url, "GET", PAGE) for _ in range(12)]
    searches = [fetch(guarded.url, "POST", SEARCH, {"filterGroups": []}) for _ in range(8)]

    assert {answer.status for answer in answers} == {200}
    assert all(rate_headers(answer) == {} for answer in answers)
    assert 429 not in {answer.status for answer in searches}


def test_without_retry_after_the_sdk_raises_a_get_429_at_once(serve: Callable[..., Guarded]) -> None:
    client = HubSpot(access_token=TOKEN, host=serve(GuardConfig(ten_second_limit=1, send_retry_after=False)).url)
    client.crm.contacts.basic_api.get_page(limit=1)

    status, body, headers = sdk_error(lambda: client.crm.contacts.basic_api.get_page(limit=1))

    assert (status, body["policyName"]) == (429, "TEN_SECONDLY_ROLLING")
    assert "Retry-After" not in headers


def test_limits_are_reconfigured_at_run_time(serve: Callable[..., Guarded]) -> None:
    guarded = serve(GuardConfig())
    assert fetch(guarded.url, "GET", "/_twin/limits").body == {
        "ten_second_limit": 190,
        "daily_limit": 625000,
        "search_per_second": 5,
        "timezone": "UTC",
        "send_retry_after": True,
    }

    changed = fetch(guarded.url, "PUT", "/_twin/limits", {"ten_second_limit": 2, "timezone": "Europe/Berlin"})

    assert changed.status == 200
    assert (changed.body["ten_second_limit"], changed.body["timezone"], changed.body["daily_limit"]) == (
        2,
        "Europe/Berlin",
        625000,
    )
    assert guarded.guard.limits.ten_second_limit == 2
    assert [fetch(guarded.url, "GET", PAGE).status for _ in range(3)] == [200, 200, 429]
    guarded.guard.set_limits(ten_second_limit=None)
    assert fetch(guarded.url, "GET", PAGE).status == 200
    guarded.guard.set_limits(ten_second_limit=4)
    assert fetch(guarded.url, "POST", "/_twin/limits/reset").status == 200
    assert fetch(guarded.url, "GET", PAGE).headers["X-HubSpot-RateLimit-Remaining"] == "3"


@pytest.mark.parametrize(
    "body",
    [{"daily_limit": 0}, {"ten_second_limit": "many"}, {"timezone": "Mars/Olympus"}, {"burst": 1}, [1]],
)
def test_invalid_limits_are_refused_with_a_400(serve: Callable[..., Guarded], body: Any) -> None:
    guarded = serve(GuardConfig())

    answer = fetch(guarded.url, "PUT", "/_twin/limits", body)

    assert (answer.status, answer.body["status"], answer.body["category"]) == (400, "error", "VALIDATION_ERROR")
    assert guarded.guard.limits == GuardConfig().limits()


def test_control_paths_are_never_limited(serve: Callable[..., Guarded]) -> None:
    guarded = serve(GuardConfig(ten_second_limit=1, daily_limit=1))

    answers = [fetch(guarded.url, "GET", path) for path in ("/_twin/requests", "/_twin/stats", "/_twin/limits") * 5]

    assert {answer.status for answer in answers} == {200}
    assert all(rate_headers(answer) == {} for answer in answers)
    assert fetch(guarded.url, "GET", PAGE).status == 200
