"""What the dashboard reads, and how long it keeps it: the lead-cycle facts and the SLA clocks from the ledger, the
owners' names, the SLA configuration and the time.

Reading 50,000 lead cycles from the ledger is the expensive part of a page, so the facts (and every clock) are
kept for `FACTS_TTL_SECONDS`: a page shows the ledger as it was at most that long ago (it says when). The SLA
panel reads the open clocks afresh on every refresh.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from app.ledger.records import SlaClock
from app.rules.kpis.facts import LeadCycle
from app.rules.sla.policy import SlaConfig

T = TypeVar("T")
FACTS_TTL_SECONDS = 60.0


class Expiring(Generic[T]):
    """A value read by `read` and kept for `ttl` seconds (thread-safe; one reader at a time)."""

    def __init__(self, read: Callable[[], T], ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._read = read
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._value: T | None = None
        self._read_at: float | None = None
        self.generation = 0  # counts the reads: what was computed from an older value is stale

    def __call__(self) -> T:
        """Return the kept value, reading it again when it is missing or older than the TTL."""
        with self._lock:
            now = self._clock()
            if self._value is None or self._read_at is None or now - self._read_at >= self._ttl:
                self._value = self._read()
                self._read_at = now
                self.generation += 1
            return self._value


@dataclass(frozen=True)
class DashboardSources:
    """Where the dashboard's data comes from (built by the composition root, app/__init__.py)."""

    facts: Expiring[Sequence[LeadCycle]]
    all_clocks: Expiring[Sequence[SlaClock]]
    open_clocks: Callable[[], Sequence[SlaClock]]
    owner_names: Callable[[], Mapping[str, str]]
    sla: SlaConfig | None
    now: Callable[[], datetime]
