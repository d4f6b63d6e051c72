"""HubSpot failures mapped in one place, and retried only where HubSpot says a retry can help."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hubspot.crm.objects.exceptions import ApiException
from urllib3._collections import HTTPHeaderDict
from urllib3.exceptions import NewConnectionError, ProtocolError, ReadTimeoutError

from app.sync.hubspot.errors import (
    DEFAULT_RATE_LIMIT_WAIT,
    HubSpotError,
    PermanentHubSpotError,
    RateLimited,
    TransientHubSpotError,
    classify,
)
from app.sync.hubspot.retry import RetryPolicy, call_hubspot

FAST = RetryPolicy(attempts=4, max_seconds=5.0, initial_backoff=0.001, max_backoff=0.002)
TEN_SECONDLY = {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
                "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}  # fmt: skip
DAILY = {**TEN_SECONDLY, "message": "You have reached your daily limit.", "policyName": "DAILY"}


@dataclass
class Response:
    """What the SDK's REST client hands to `ApiException(http_resp=…)`: urllib3's status, data and headers."""

    status: int
    data: bytes | str
    headers: dict[str, str] = field(default_factory=dict)
    reason: str = "Error"

    def getheaders(self) -> HTTPHeaderDict:
        return HTTPHeaderDict(self.headers)


def api_error(status: int, body: dict[str, Any] | str | bytes | None = None, **headers: str) -> ApiException:
    """Return the SDK's ApiException as it raises it for an HTTP error answer."""
    data = json.dumps(body).encode() if isinstance(body, dict) else (body or b"")
    return ApiException(http_resp=Response(status, data, {k.replace("_", "-"): v for k, v in headers.items()}))


class Request:
    """A HubSpot request: raises `failures` in order, then `forever()` on every call (else answers); counts calls."""

    def __init__(self, *failures: BaseException, forever: Callable[[], BaseException] | None = None) -> None:
        self.failures = failures
        self.forever = forever
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= len(self.failures):
            raise self.failures[self.calls - 1]
        if self.forever is not None:
            raise self.forever()
        return "answer"


# classify: one mapping from the SDK's exceptions to Leadflow's


def test_a_429_is_rate_limited_for_as_long_as_retry_after_says() -> None:
    error = classify(api_error(429, TEN_SECONDLY, Retry_After="3"), "batch-read contacts")
    assert isinstance(error, RateLimited)
    assert (error.retry_after, error.daily, error.status, error.category) == (3.0, False, 429, "RATE_LIMITS")
    assert str(error) == "batch-read contacts: HubSpot answered 429: You have reached your ten_secondly_rolling limit."


def test_retry_after_is_read_whatever_the_header_case() -> None:
    error = classify(api_error(429, TEN_SECONDLY, retry_after="2.5"), "op")
    assert isinstance(error, RateLimited)
    assert error.retry_after == 2.5


@pytest.mark.parametrize(
    ("header", "wait"),
    [(None, DEFAULT_RATE_LIMIT_WAIT), ("soon", DEFAULT_RATE_LIMIT_WAIT), ("-5", 0.0), ("86400", 3600.0)],
)
def test_a_missing_or_odd_retry_after_falls_back_to_a_sane_wait(header: str | None, wait: float) -> None:
    error = classify(api_error(429, TEN_SECONDLY, **({"Retry_After": header} if header else {})), "op")
    assert isinstance(error, RateLimited)
    assert error.retry_after == wait


def test_a_spent_daily_limit_is_marked_daily() -> None:
    error = classify(api_error(429, DAILY, Retry_After="1"), "op")
    assert isinstance(error, RateLimited)
    assert error.daily


@pytest.mark.parametrize("status", [408, 423, 477, 500, 502, 503, 504, 521, 523, 524, 599])
def test_server_errors_timeouts_and_locks_are_transient(status: int) -> None:
    error = classify(api_error(status, {"status": "error", "message": "try later"}), "batch-update contacts")
    assert type(error) is TransientHubSpotError
    assert error.status == status
    assert str(error) == f"batch-update contacts: HubSpot answered {status}: try later"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 414])
def test_other_client_errors_are_permanent(status: int) -> None:
    body = {"status": "error", "message": "Property values were not valid", "category": "VALIDATION_ERROR"}
    error = classify(api_error(status, body), "batch-update contacts")
    assert type(error) is PermanentHubSpotError
    assert (error.status, error.category) == (status, "VALIDATION_ERROR")
    assert "Property values were not valid" in str(error)


@pytest.mark.parametrize(
    "body",
    [
        b'{"message": "Bad \xc3\xa4 request", "category": "VALIDATION_ERROR"}',
        '{"message": "Bad ä request", "category": "VALIDATION_ERROR"}',
    ],
    ids=["bytes", "str"],
)
def test_the_error_body_is_read_as_bytes_or_text(body: bytes | str) -> None:
    error = classify(api_error(400, body), "op")
    assert isinstance(error, PermanentHubSpotError)
    assert error.category == "VALIDATION_ERROR"
    assert str(error) == "op: HubSpot answered 400: Bad ä request"


@pytest.mark.parametrize("body", [b"<html>Bad Gateway</html>", b"\xff\xfe", b"[1, 2]", b"", None, '{"category": 5}'])
def test_an_unreadable_error_body_still_gives_the_status(body: bytes | str | None) -> None:
    exc = api_error(502, body)
    if body is None:
        exc.body = None
    error = classify(exc, "op")
    assert isinstance(error, TransientHubSpotError)
    assert str(error) == "op: HubSpot answered 502"
    assert error.category is None


def test_an_api_exception_without_a_response_is_classified_by_its_status() -> None:
    error = classify(ApiException(status=404, reason="Not Found"), "read property group leadflow")
    assert isinstance(error, PermanentHubSpotError)
    assert error.status == 404


@pytest.mark.parametrize(
    "exc",
    [
        ReadTimeoutError(None, "/crm/v3/objects/contacts/batch/read", "Read timed out. (read timeout=10)"),  # type: ignore[arg-type]
        ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer")),
        NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused"),  # type: ignore[arg-type]
        ConnectionResetError(104, "Connection reset by peer"),
        TimeoutError("timed out"),
    ],
    ids=["read-timeout", "protocol", "new-connection", "reset", "timeout"],
)
def test_transport_failures_are_transient(exc: BaseException) -> None:
    error = classify(exc, "batch-read contacts")
    assert isinstance(error, TransientHubSpotError)
    assert error.status is None
    assert str(error) == f"batch-read contacts: {type(exc).__name__}: no answer from HubSpot"


@pytest.mark.parametrize("exc", [ValueError("bad"), KeyError("id"), RuntimeError("boom")])
def test_an_exception_that_is_not_about_hubspot_is_not_classified(exc: BaseException) -> None:
    assert classify(exc, "op") is None


# call_hubspot: retries what is worth retrying, never anything else


def test_a_rate_limited_call_is_retried_after_the_wait_hubspot_asks_for() -> None:
    limited = api_error(429, TEN_SECONDLY, Retry_After="0.05")
    request = Request(limited, limited)
    started = time.monotonic()
    assert call_hubspot("op", request, FAST) == "answer"
    assert request.calls == 3
    assert time.monotonic() - started >= 0.1  # the backoff alone would have waited about 0.004 s


def test_transient_failures_are_retried_until_one_succeeds() -> None:
    request = Request(api_error(503), ReadTimeoutError(None, "/x", "Read timed out."), api_error(502))  # type: ignore[arg-type]
    assert call_hubspot("op", request, FAST) == "answer"
    assert request.calls == 4


def test_a_spent_daily_limit_is_never_retried() -> None:
    request = Request(forever=lambda: api_error(429, DAILY, Retry_After="0"))
    with pytest.raises(RateLimited) as raised:
        call_hubspot("op", request, FAST)
    assert raised.value.daily
    assert request.calls == 1


def test_a_permanent_error_is_never_retried_and_keeps_the_sdk_exception_as_cause() -> None:
    original = api_error(400, {"message": 'Property "x" does not exist', "category": "VALIDATION_ERROR"})
    request = Request(forever=lambda: original)
    with pytest.raises(PermanentHubSpotError, match="does not exist") as raised:
        call_hubspot("batch-update contacts", request, FAST)
    assert request.calls == 1
    assert raised.value.__cause__ is original


def test_a_hubspot_error_raised_by_the_request_itself_is_not_wrapped() -> None:
    refused = PermanentHubSpotError("already classified", 404)
    request = Request(forever=lambda: refused)
    with pytest.raises(PermanentHubSpotError) as raised:
        call_hubspot("op", request, FAST)
    assert raised.value is refused
    assert request.calls == 1


@pytest.mark.parametrize(
    "make",
    [lambda: api_error(503, {"message": "down"}), lambda: api_error(429, TEN_SECONDLY, Retry_After="0")],
    ids=["503", "429"],
)
def test_retrying_gives_up_after_the_policys_attempts(make: Callable[[], BaseException]) -> None:
    request = Request(forever=make)
    with pytest.raises(HubSpotError) as raised:
        call_hubspot("op", request, FAST)
    assert isinstance(raised.value, TransientHubSpotError | RateLimited)
    assert request.calls == FAST.attempts


def test_an_exception_that_is_not_about_hubspot_is_reraised_untouched_and_not_retried() -> None:
    original = KeyError("results")
    request = Request(forever=lambda: original)
    with pytest.raises(KeyError) as raised:
        call_hubspot("op", request, FAST)
    assert raised.value is original
    assert raised.value.__cause__ is None
    assert request.calls == 1


def test_a_retry_after_beyond_the_time_budget_gives_up_instead_of_sleeping_past_it() -> None:
    budget = RetryPolicy(attempts=5, max_seconds=0.02, initial_backoff=0.001, max_backoff=0.002)
    request = Request(forever=lambda: api_error(429, TEN_SECONDLY, Retry_After="0.2"))
    started = time.monotonic()
    with pytest.raises(RateLimited):
        call_hubspot("op", request, budget)
    assert time.monotonic() - started < 0.2


def test_a_retry_is_logged_with_the_operation_the_attempt_and_the_wait(caplog: pytest.LogCaptureFixture) -> None:
    limited = api_error(429, TEN_SECONDLY, Retry_After="0.05")
    with caplog.at_level("WARNING", logger="app.sync.hubspot.retry"):
        assert call_hubspot("read contacts", Request(limited), FAST) == "answer"
    (record,) = caplog.records
    assert record.getMessage() == "hubspot.retry"
    fields = {name: getattr(record, name) for name in ("operation", "attempt", "attempts", "wait_seconds")}
    assert fields == {"operation": "read contacts", "attempt": 1, "attempts": FAST.attempts, "wait_seconds": 0.1}
    assert not record.error.startswith("read contacts")  # type: ignore[attr-defined]  # said once, as the operation
