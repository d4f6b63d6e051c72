"""Helpers for the twin's tests: raw HTTP calls and the body of an SDK error."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hubspot_twin import TwinServer

TOKEN = "twin-test-token"
TIMEOUT = (2, 5)


@dataclass(frozen=True)
class Reply:
    """A raw HTTP answer: status and parsed JSON body (None when empty)."""

    status: int
    body: Any


def call(server: TwinServer, method: str, path: str, body: Any = None, *, token: str | None = TOKEN) -> Reply:
    """Send one request without the SDK (bytes and str bodies are sent as they are)."""
    if isinstance(body, dict | list):
        body = json.dumps(body)
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    return Reply(response.status, json.loads(raw) if raw else None)


def api_error(action: Callable[[], object]) -> tuple[int, dict[str, Any]]:
    """Run an SDK call that must fail; return its status and JSON body.

    Every generated SDK package has its own ApiException class, so the error is recognised by its ``status``.
    """
    try:
        action()
    except Exception as error:
        status = getattr(error, "status", None)
        if not isinstance(status, int):
            raise
        return status, json.loads(getattr(error, "body", b"") or b"{}")
    raise AssertionError("the call succeeded; an ApiException was expected")
