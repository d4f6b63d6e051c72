"""Simulated time: it stands still until the simulator moves it, so a run is reproducible."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class SimClock:
    """A clock for the twin and Leadflow alike; `clock()` returns the simulated now (UTC)."""

    def __init__(self, start: datetime) -> None:
        self._lock = threading.Lock()
        self._now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        """Move to `moment`; time never runs backwards."""
        with self._lock:
            self._now = max(self._now, moment.astimezone(UTC))

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta
