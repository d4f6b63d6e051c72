"""A WSGI layer in front of the twin that answers some requests the way a struggling HubSpot does.

Rules match a method and path; each fires a given number of times: a canned error (429 with its body and
`Retry-After`, 5xx), a delay longer than the client's read timeout, or a 207 that refuses some records of a
batch while the twin writes the others. Everything else reaches the twin untouched.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass
class Fault:
    method: str
    path: str
    times: int
    status: int = 500
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    refuse_ids: frozenset[str] = frozenset()
    category: str = "RATE_LIMITS"


class FaultyHubSpot:
    """WSGI middleware injecting `Fault`s; `seen` records every request body that reached it."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.faults: list[Fault] = []
        self.seen: list[tuple[str, str, Any]] = []

    def add(self, fault: Fault) -> None:
        self.faults.append(fault)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        self.seen.append((method, path, json.loads(raw) if raw else None))
        fault = next((f for f in self.faults if f.times > 0 and (f.method, f.path) == (method, path)), None)
        if fault is None:
            return self._forward(environ, raw, start_response)
        fault.times -= 1
        if fault.refuse_ids:
            return self._partial(environ, raw, fault, start_response)
        time.sleep(fault.delay)
        if fault.delay and fault.status == 200:
            return self._forward(environ, raw, start_response)
        return _respond(start_response, fault.status, fault.body, fault.headers)

    def _forward(self, environ: dict[str, Any], raw: bytes, start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ = {**environ, "wsgi.input": io.BytesIO(raw), "CONTENT_LENGTH": str(len(raw))}
        return self.app(environ, start_response)

    def _partial(
        self, environ: dict[str, Any], raw: bytes, fault: Fault, start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = json.loads(raw)
        kept = [item for item in request["inputs"] if item["id"] not in fault.refuse_ids]
        refused = sorted({item["id"] for item in request["inputs"]} & fault.refuse_ids)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured["status"] = status

        body = b"".join(self._forward(environ, json.dumps({**request, "inputs": kept}).encode(), capture))
        answer = json.loads(body)
        answer["numErrors"] = 1
        answer["errors"] = [{"status": "error", "category": fault.category, "message": "refused by the fault layer",
                             "context": {"ids": refused}}]  # fmt: skip
        return _respond(start_response, 207, answer, {})


def _respond(
    start_response: Callable[..., Any], status: int, body: dict[str, Any], headers: dict[str, str]
) -> list[bytes]:
    payload = json.dumps(body).encode()
    reason = {200: "OK", 207: "Multi-Status", 400: "Bad Request", 429: "Too Many Requests"}.get(status, "Error")
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), *headers.items()])
    return [payload]


def rate_limited(path: str, times: int = 1, retry_after: str = "0", daily: bool = False) -> Fault:
    """HubSpot's 429 body for the ten-second (or daily) limit."""
    policy = "DAILY" if daily else "TEN_SECONDLY_ROLLING"
    message = "You have reached your daily limit." if daily else "You have reached your ten_secondly_rolling limit."
    body = {"status": "error", "message": message, "errorType": "RATE_LIMIT", "correlationId": "c0ffee",
            "policyName": policy}  # fmt: skip
    return Fault("POST", path, times, 429, body, {"Retry-After": retry_after})
