"""A deadline on a request's body: a client that trickles or stalls its body holds a thread for seconds, not hours.

gunicorn reads a body from a blocking socket without a time limit. HubSpot sends a webhook's body at once and
gives up after 5 seconds, so a body still arriving after `BODY_READ_SECONDS` is nobody's webhook: the socket's
reading side is shut down, the read in progress ends at once, the app answers 408 (werkzeug's `RequestTimeout`,
raised by the next read of the body) and the connection closes after the answer.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import socket
import threading
import time
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
        client = environ.get("REMOTE_ADDR")
        cancel = WATCHDOG.watch(time.monotonic() + self.seconds, lambda: _stop_reading(sock, expired, client))
        environ["wsgi.input"] = _DeadlineInput(environ["wsgi.input"], expired, self.seconds, cancel)
        try:
            return self.app(environ, start_response)  # Flask reads the body inside this call
        finally:
            cancel()


class _Watchdog:
    """One thread per process that runs each deadline's action when it passes, unless cancelled first.

    A `threading.Timer` per request would start a thread for every webhook; this starts one, on first use (so a
    forked gunicorn worker starts its own).
    """

    def __init__(self) -> None:
        self._due = threading.Condition()
        self._deadlines: list[tuple[float, int, list[Callable[[], None] | None]]] = []
        self._count = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, at: float, action: Callable[[], None]) -> Callable[[], None]:
        """Run `action` at `at` (monotonic seconds); return what cancels it."""
        slot: list[Callable[[], None] | None] = [action]
        with self._due:
            heapq.heappush(self._deadlines, (at, next(self._count), slot))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="leadflow-body-deadlines", daemon=True)
                self._thread.start()
            self._due.notify()

        def cancel() -> None:
            slot[0] = None

        return cancel

    def _run(self) -> None:
        while True:
            with self._due:
                while self._deadlines and self._deadlines[0][2][0] is None:
                    heapq.heappop(self._deadlines)  # cancelled
                if not self._deadlines:
                    self._due.wait()
                    continue
                at, _, slot = self._deadlines[0]
                if at > time.monotonic():
                    self._due.wait(at - time.monotonic())
                    continue
                heapq.heappop(self._deadlines)
                action, slot[0] = slot[0], None
            if action is not None:
                action()


WATCHDOG = _Watchdog()


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
