"""``TwinGuard``: WSGI middleware that puts HubSpot's rate limits, injected faults and a request log in front of
the twin's app.

For each HubSpot API request (any path outside ``/_twin/``) it counts the bearer token's usage and answers 429
when a limit refuses it; otherwise it may inject a fault (429, 5xx, a delay, a dropped connection); otherwise it
passes the request to the app and adds the ``X-HubSpot-RateLimit-*`` headers. Every API request is logged. It
answers its own control paths (``/_twin/log``, ``/_twin/stats``, ``/_twin/limits``, ``/_twin/faults``) and
passes every other ``/_twin/`` path to the app untouched: control paths are never limited, faulted or logged.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from hubspot_twin.crm.timestamps import Clock, iso, utc_now
from hubspot_twin.errors import HubSpotError
from hubspot_twin.http.counters import endpoint_key
from hubspot_twin.http.faults import (
    DROP,
    RATE_LIMIT,
    SERVER_ERROR,
    SLOW,
    DroppedConnection,
    Fault,
    FaultInjector,
    FaultPlan,
    close_socket,
    serve_silently,
    server_error_body,
)
from hubspot_twin.http.limits import (
    SECONDLY,
    TEN_SECONDLY,
    Headers,
    Limits,
    RateLimiter,
    Verdict,
    is_search,
    rate_limit_body,
)
from hubspot_twin.http.requestlog import LogEntry, RequestLog, token_label

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

CONTROL_PREFIX = "/_twin/"
CONTENT_TYPE = "application/json;charset=utf-8"
DEFAULT_LOG_LIMIT = 100
Handler = Callable[["WSGIEnvironment"], tuple[int, Any]]


@dataclass(frozen=True)
class GuardConfig:
    """Limits per token (None disables one), the time zone of the daily reset, whether 429s carry
    ``Retry-After``, the fault plan and the size of the request log."""

    ten_second_limit: int | None = 190
    daily_limit: int | None = 625_000
    search_per_second: int | None = 5
    timezone: str = "UTC"
    send_retry_after: bool = True
    faults: FaultPlan = field(default_factory=FaultPlan)
    log_size: int = 10_000

    def limits(self) -> Limits:
        """Return the limits part (validated)."""
        limits = self.ten_second_limit, self.daily_limit, self.search_per_second
        return Limits(*limits, self.timezone, self.send_retry_after)


@dataclass
class _Outcome:
    """What became of one API request, for the log."""

    status: int | None = None
    rate_limited: str | None = None
    fault: str | None = None


class TwinGuard:
    """Rate limits, faults and a request log around a WSGI app; thread-safe.

    ``clock`` (monotonic seconds) drives the ten-second and search windows, ``wall_clock`` (an aware datetime)
    the daily reset and the log's times, ``sleep`` the slow fault.
    """

    def __init__(
        self,
        app: WSGIApplication,
        config: GuardConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        config = config if config is not None else GuardConfig()
        self.app = app
        self.log = RequestLog(config.log_size)
        self._limiter = RateLimiter(config.limits(), clock, wall_clock)
        self._faults = FaultInjector(config.faults)
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._routes: dict[str, dict[str, Handler]] = {
            "/_twin/log": {"GET": self._get_log},
            "/_twin/log/reset": {"POST": self._reset_log},
            "/_twin/stats": {"GET": lambda _: (200, self.stats())},
            "/_twin/limits": {"GET": lambda _: (200, self.limits.to_json()), "PUT": self._put_limits},
            "/_twin/limits/reset": {"POST": self._reset_usage},
            "/_twin/faults": {"GET": lambda _: (200, self.faults.to_json()), "PUT": self._put_faults},
        }

    @property
    def limits(self) -> Limits:
        """Return the limits in force."""
        return self._limiter.limits

    @property
    def faults(self) -> FaultPlan:
        """Return the fault plan in force."""
        return self._faults.plan

    def stats(self) -> dict[str, Any]:
        """Return the request counts since the last log reset (what ``GET /_twin/stats`` answers)."""
        return self.log.stats()

    def set_limits(self, limits: Limits | None = None, /, **changes: int | str | None) -> Limits:
        """Put ``limits`` (or the current limits with ``changes``) in force; usage so far still counts."""
        if limits is None:
            return self._limiter.update(changes)
        self._limiter.configure(limits.merged(changes))
        return self._limiter.limits

    def set_faults(self, plan: FaultPlan) -> None:
        """Put a fault plan in force (its random is reseeded and its rule counts start again)."""
        self._faults.configure(plan)

    def reset_usage(self) -> None:
        """Give every token fresh ten-second, search and daily budgets."""
        self._limiter.reset()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method, path = str(environ.get("REQUEST_METHOD", "GET")).upper(), str(environ.get("PATH_INFO", ""))
        if not path.startswith(CONTROL_PREFIX):
            return self._serve_api(environ, start_response, method, path)
        route = self._routes.get(path)
        if route is None:
            return self.app(environ, start_response)
        handler = route.get(method)
        if handler is None:
            return _json(start_response, 405, HubSpotError(405, f"{method} is not allowed on {path}").body())
        try:
            status, body = handler(environ)
        except (ValueError, TypeError) as error:
            status, body = 400, HubSpotError(400, str(error)).body()
        return _json(start_response, status, body)

    def _serve_api(
        self, environ: WSGIEnvironment, start_response: StartResponse, method: str, path: str
    ) -> Iterable[bytes]:
        when, started = iso(self._wall_clock()), time.perf_counter()
        outcome, token, search = _Outcome(), _bearer_token(environ), is_search(method, path)
        try:
            verdict = self._limiter.admit(token, search) if token is not None else Verdict()
            if verdict.policy is not None:
                outcome.rate_limited = verdict.policy
                headers = [*_retry_after(verdict.retry_after), *verdict.headers]
                return _json(start_response, 429, rate_limit_body(verdict.policy), headers, outcome)
            fault = self._faults.pick(method, path)
            if fault is None:
                return self._forward(environ, start_response, verdict.headers, outcome)
            outcome.fault = fault.kind
            return self._inject(fault, environ, start_response, search, verdict.headers, outcome)
        finally:
            duration = round((time.perf_counter() - started) * 1000, 3)
            key, label = endpoint_key(method, path), token_label(token)
            entry = LogEntry(when, method, key, label, outcome.status, duration, **_flags(outcome))
            self.log.record(entry)  # before the answer (or the dropped connection) reaches the client
            if outcome.fault == DROP:
                close_socket(environ)

    def _inject(
        self,
        fault: Fault,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        search: bool,
        headers: Headers,
        outcome: _Outcome,
    ) -> Iterable[bytes]:
        if fault.kind == RATE_LIMIT:
            body = rate_limit_body(SECONDLY if search else TEN_SECONDLY)
            exhausted = [(name, "0" if name == "X-HubSpot-RateLimit-Remaining" else value) for name, value in headers]
            return _json(start_response, 429, body, [*_retry_after(fault.retry_after), *exhausted], outcome)
        if fault.kind == SERVER_ERROR:
            status = fault.status or 500
            return _json(start_response, status, server_error_body(status), list(headers), outcome)
        if fault.kind == SLOW:
            self._sleep(fault.delay)
            return self._forward(environ, start_response, headers, outcome)
        assert fault.kind == DROP
        if fault.after_serving:
            serve_silently(self.app, environ)
        raise DroppedConnection("hubspot_twin fault: the connection is dropped without an answer")

    def _forward(
        self, environ: WSGIEnvironment, start_response: StartResponse, headers: Headers, outcome: _Outcome
    ) -> Iterable[bytes]:
        """Let the app answer, adding the rate-limit headers (not to a 401: the token was not one of the app's)."""

        def start(status: str, response_headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None) -> Any:
            outcome.status = int(status.split(" ", 1)[0])
            extra = list(headers) if outcome.status != 401 else []
            return start_response(status, [*response_headers, *extra], exc_info)

        return self.app(environ, start)

    def _get_log(self, environ: WSGIEnvironment) -> tuple[int, Any]:
        values = parse_qs(str(environ.get("QUERY_STRING", ""))).get("limit", [str(DEFAULT_LOG_LIMIT)])
        if not values[-1].isdigit():
            raise ValueError(f"limit must be a non-negative integer, not {values[-1]!r}")
        entries = [entry.to_json() for entry in self.log.entries(int(values[-1]))]
        return 200, {"entries": entries, "size": len(self.log), "capacity": self.log.capacity}

    def _reset_log(self, _environ: WSGIEnvironment) -> tuple[int, Any]:
        self.log.reset()
        return 200, self.stats()

    def _put_limits(self, environ: WSGIEnvironment) -> tuple[int, Any]:
        return 200, self._limiter.update(_json_object(environ)).to_json()

    def _reset_usage(self, _environ: WSGIEnvironment) -> tuple[int, Any]:
        self.reset_usage()
        return 200, self.limits.to_json()

    def _put_faults(self, environ: WSGIEnvironment) -> tuple[int, Any]:
        plan = FaultPlan.from_json(_json_object(environ))
        self.set_faults(plan)
        return 200, plan.to_json()


def _flags(outcome: _Outcome) -> dict[str, str | None]:
    return {"rate_limited": outcome.rate_limited, "fault": outcome.fault}


def _retry_after(seconds: int | None) -> list[tuple[str, str]]:
    return [] if seconds is None else [("Retry-After", str(seconds))]


def _bearer_token(environ: WSGIEnvironment) -> str | None:
    scheme, _, token = str(environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _json(
    start_response: StartResponse,
    status: int,
    body: Any,
    headers: list[tuple[str, str]] | None = None,
    outcome: _Outcome | None = None,
) -> list[bytes]:
    """Answer compact JSON (HubSpot's content type; its correlation id header on errors)."""
    payload = json.dumps(body, separators=(",", ":")).encode()
    sent = [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(payload)))]
    if isinstance(body, dict) and "correlationId" in body:
        sent.append(("X-HubSpot-Correlation-Id", str(body["correlationId"])))
    if outcome is not None:
        outcome.status = status
    start_response(f"{status} {HTTPStatus(status).phrase}", [*sent, *(headers or [])])
    return [payload]


def _json_object(environ: WSGIEnvironment) -> dict[str, Any]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    try:
        data = json.loads(raw or b"null")
    except json.JSONDecodeError as error:
        raise ValueError(f"Invalid input JSON: {error}") from None
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data
