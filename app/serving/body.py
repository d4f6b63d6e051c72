"""A deadline on a request's body: a client that trickles or stalls its body holds a thread for seconds, not hours.

gunicorn reads a body from a blocking socket without a time limit. HubSpot sends a webhook's body at once and
gives up after 5 seconds, so a body still arriving after `BODY_READ_SECONDS` is nobody's webhook: the socket's
reading side is shut down, the read in progress ends at once, the app answers 408 (werkzeug's `RequestTimeout`,
raised by the next read of the body) and the connection closes after the answer.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from werkzeug.exceptions import RequestTimeout

logger = logging.getLogger(__name__)

BODY_READ_SECONDS = 5.0  # HubSpot's own timeout for a whole webhook delivery

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class BodyDeadline:
    """WSGI middleware: a request whose body is still being read after `seconds` has its reading cut off."""

    def __init__(self, app: WsgiApp, seconds: float = BODY_READ_SECONDS) -> None:
        self.app = app
        self.seconds = seconds

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        sock = environ.get("gunicorn.socket")
        if not isinstance(sock, socket.socket) or not _has_body(environ):
            return self.app(environ, start_response)
        expired = threading.Event()
        timer = threading.Timer(self.seconds, _stop_reading, (sock, expired, environ.get("REMOTE_ADDR")))
        timer.daemon = True
        environ["wsgi.input"] = _DeadlineInput(environ["wsgi.input"], expired, self.seconds, timer.cancel)
        timer.start()
        try:
            return self.app(environ, start_response)  # Flask reads the body inside this call
        finally:
            timer.cancel()


class _DeadlineInput:
    """`wsgi.input` whose reads fail with 408 once the deadline has cut the body off; the end of the body ends it."""

    def __init__(self, stream: Any, expired: threading.Event, seconds: float, read_all: Callable[[], None]) -> None:
        self._stream = stream
        self._expired = expired
        self._seconds = seconds
        self._read_all = read_all  # called at the body's end: the time the app then takes is not the client's

    def read(self, size: int | None = None) -> bytes:
        data = self._checked(self._stream.read(size))
        if size is None or size < 0:
            self._read_all()
        return data

    def readline(self, size: int | None = None) -> bytes:
        return self._checked(self._stream.readline(size))

    def readlines(self, hint: int | None = None) -> list[bytes]:
        lines: list[bytes] = self._stream.readlines(hint)
        self._checked(b"")
        return lines

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def _checked(self, data: bytes) -> bytes:
        if self._expired.is_set():
            raise RequestTimeout(f"the request body did not arrive within {self._seconds:g} seconds")
        if not data:
            self._read_all()
        return data


def _has_body(environ: dict[str, Any]) -> bool:
    return environ.get("CONTENT_LENGTH", "") not in ("", "0") or "HTTP_TRANSFER_ENCODING" in environ


def _stop_reading(sock: socket.socket, expired: threading.Event, client: object) -> None:
    """End the body read blocked on `sock` (it returns end-of-file); the answer can still be written."""
    expired.set()
    logger.warning("web.body-read-timeout", extra={"client": client})
    with contextlib.suppress(OSError):  # the client is gone already
        sock.shutdown(socket.SHUT_RD)
