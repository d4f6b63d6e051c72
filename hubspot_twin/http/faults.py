"""Fault injection: a seeded plan of requests answered 429 or 5xx, served slowly, or left without an answer.

A ``FaultPlan`` holds shares of all API requests per kind (``rate_limit``, ``server_error``, ``slow``, ``drop``)
and ``FaultRule``s that match a method and a path glob (``*`` spans ``/``) and fire by share, for the first N
matching requests, or on every k-th. ``FaultInjector.pick`` draws one number from the plan's seeded
``random.Random`` per request, so the same plan and the same requests give the same faults.
"""

from __future__ import annotations

import io
import random
import socket
import threading
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, fields
from fnmatch import fnmatchcase
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from hubspot_twin.errors import HubSpotError

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

RATE_LIMIT = "rate_limit"
SERVER_ERROR = "server_error"
SLOW = "slow"
DROP = "drop"
KINDS = (RATE_LIMIT, SERVER_ERROR, SLOW, DROP)
SERVER_ERROR_STATUSES = (500, 502, 503, 504)
_SOCKET_KEYS = ("werkzeug.socket", "gunicorn.socket")


def _number(name: str, value: object, low: float, high: float | None = None) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value < low
        or (high is not None and value > high)
    ):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be a number {bounds}, not {value!r}")


def _optional_count(name: str, value: object, low: int = 1) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < low):
        raise ValueError(f"{name} must be an integer of at least {low} or null, not {value!r}")


def _known(cls: type, data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - {f.name for f in fields(cls)})
    if unknown:
        raise ValueError(f"unknown {cls.__name__} fields: {', '.join(unknown)}")


@dataclass(frozen=True)
class FaultRule:
    """One kind of fault for the requests a method and path glob match.

    It fires for the ``first`` N matching requests, else on ``every`` k-th one, else for a ``share`` of them.
    ``status`` fixes a server error's status (None: one of 500/502/503/504 drawn from the plan's random),
    ``delay`` is how long a slow request waits before the twin serves it, ``retry_after`` the 429's
    ``Retry-After`` seconds (None: no header), and ``after_serving`` lets the twin serve a dropped request
    (state changes) before the connection is dropped.
    """

    kind: str
    share: float = 0.0
    method: str = "*"
    path: str = "*"
    first: int | None = None
    every: int | None = None
    status: int | None = None
    delay: float = 2.0
    retry_after: int | None = 1
    after_serving: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        _number("share", self.share, 0.0, 1.0)
        _number("delay", self.delay, 0.0)
        _optional_count("first", self.first)
        _optional_count("every", self.every)
        _optional_count("retry_after", self.retry_after, low=0)
        if self.status is not None and self.status not in range(500, 600):
            raise ValueError(f"status must be a 5xx status or null, not {self.status!r}")
        if not isinstance(self.method, str) or not isinstance(self.path, str):
            raise ValueError("method and path must be strings")
        if not isinstance(self.after_serving, bool):
            raise ValueError("after_serving must be true or false")
        object.__setattr__(self, "method", self.method.upper())

    def matches(self, method: str, path: str) -> bool:
        """Return True when the rule applies to a request."""
        return (self.method == "*" or self.method == method.upper()) and fnmatchcase(path, self.path)

    def to_json(self) -> dict[str, Any]:
        """Return the rule as JSON."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultRule:
        """Return the rule a JSON object describes; ValueError when it is invalid."""
        if not isinstance(data, Mapping) or "kind" not in data:
            raise ValueError("a fault rule must be a JSON object with a kind")
        _known(cls, data)
        return cls(**data)


@dataclass(frozen=True)
class FaultPlan:
    """Which requests fail and how: shares of every API request per kind, plus rules (checked first)."""

    seed: int | None = None
    rate_limit: float = 0.0
    server_error: float = 0.0
    slow: float = 0.0
    drop: float = 0.0
    delay: float = 2.0
    rules: tuple[FaultRule, ...] = ()

    def __post_init__(self) -> None:
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int)):
            raise ValueError(f"seed must be an integer or null, not {self.seed!r}")
        for kind in KINDS:
            _number(kind, getattr(self, kind), 0.0, 1.0)
        if sum(getattr(self, kind) for kind in KINDS) > 1.0 + 1e-9:  # 0.1 + 0.2 + 0.3 + 0.4 is a little over 1
            raise ValueError("the shares of all fault kinds add up to more than 1")
        _number("delay", self.delay, 0.0)
        object.__setattr__(self, "rules", tuple(self.rules))
        if not all(isinstance(rule, FaultRule) for rule in self.rules):
            raise ValueError("rules must be FaultRule instances")

    def all_rules(self) -> tuple[FaultRule, ...]:
        """Return the explicit rules followed by one any-request rule per kind with a share."""
        shares = tuple(
            FaultRule(kind, share=getattr(self, kind), delay=self.delay) for kind in KINDS if getattr(self, kind) > 0
        )
        return self.rules + shares

    def to_json(self) -> dict[str, Any]:
        """Return the plan as ``GET /_twin/faults`` answers it."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["rules"] = [rule.to_json() for rule in self.rules]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultPlan:
        """Return the plan a JSON object describes (missing fields take their defaults); ValueError if invalid."""
        if not isinstance(data, Mapping):
            raise ValueError("a fault plan must be a JSON object")
        _known(cls, data)
        rules = data.get("rules", [])
        if not isinstance(rules, list):
            raise ValueError("rules must be a JSON array")
        return cls(**{**data, "rules": tuple(FaultRule.from_json(rule) for rule in rules)})


@dataclass(frozen=True)
class Fault:
    """The fault chosen for one request."""

    kind: str
    status: int | None = None
    delay: float = 0.0
    retry_after: int | None = 1
    after_serving: bool = False


class FaultInjector:
    """Thread-safe fault choice for each API request, reproducible for a seeded plan."""

    def __init__(self, plan: FaultPlan) -> None:
        self._lock = threading.Lock()
        self.configure(plan)

    @property
    def plan(self) -> FaultPlan:
        """Return the plan in force."""
        with self._lock:
            return self._plan

    def configure(self, plan: FaultPlan) -> None:
        """Put a plan in force: reseed the random and restart every rule's count."""
        with self._lock:
            self._plan = plan
            self._rules = plan.all_rules()
            self._seen = [0] * len(self._rules)
            self._random = random.Random(plan.seed)

    def pick(self, method: str, path: str) -> Fault | None:
        """Return the fault for one API request, or None (one random draw per request, whatever the rules)."""
        with self._lock:
            draw, cumulative, chosen = self._random.random(), 0.0, None
            for index, rule in enumerate(self._rules):
                if not rule.matches(method, path):
                    continue
                self._seen[index] += 1
                if chosen is not None:
                    continue
                if rule.first is not None:
                    fires = self._seen[index] <= rule.first
                elif rule.every is not None:
                    fires = self._seen[index] % rule.every == 0
                else:
                    cumulative += rule.share
                    fires = draw < cumulative
                chosen = rule if fires else None
            return self._fault(chosen) if chosen is not None else None

    def _fault(self, rule: FaultRule) -> Fault:
        status = rule.status
        if rule.kind == SERVER_ERROR and status is None:
            status = self._random.choice(SERVER_ERROR_STATUSES)
        return Fault(rule.kind, status, rule.delay, rule.retry_after, rule.after_serving)


def server_error_body(status: int) -> dict[str, Any]:
    """Return HubSpot's error body for a 5xx (500: the ``internal error`` text of captured HubSpot answers)."""
    if status == 500:
        return HubSpotError(500, "internal error", "INTERNAL_ERROR").body()
    phrase = HTTPStatus(status)
    return HubSpotError(status, phrase.phrase, phrase.name).body()


class DroppedConnection(ConnectionAbortedError):
    """Raised to the server for a dropped request: werkzeug takes a ``ConnectionError`` silently."""


def serve_silently(app: WSGIApplication, environ: WSGIEnvironment) -> None:
    """Let the app serve a request (its state changes) and throw the answer away."""
    take_body(environ)
    answer = app(environ, _discard_start)
    try:
        for _chunk in answer:
            pass
    finally:
        close = getattr(answer, "close", None)
        if callable(close):
            close()


def take_body(environ: WSGIEnvironment) -> None:
    """Move the request body off the socket into memory (left there, the server would read it as the next
    request); idempotent."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = b""
    if length > 0:
        with suppress(OSError):
            body = bytes(environ["wsgi.input"].read(length))
    environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))


def close_socket(environ: WSGIEnvironment) -> None:
    """Shut the client's socket without an answer (werkzeug's and gunicorn's servers put it in the environ)."""
    take_body(environ)
    for key in _SOCKET_KEYS:
        connection = environ.get(key)
        if isinstance(connection, socket.socket):
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


def _discard_start(status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None) -> Any:
    return lambda _data: None
