"""What the dashboard reads, and how long it keeps it: the lead-cycle facts, the SLA clocks and the nurture offers
from the ledger, the newest backtest recorded, the owners' names, the SLA and nurture configurations and the time.

Reading 50,000 lead cycles from the ledger is the expensive part of a page, so the facts (and every clock) are
kept for `FACTS_TTL_SECONDS` (the nurture offers and the last backtest too): a page shows the ledger as it was at
most that long ago. The SLA panel reads the open clocks afresh on every refresh.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from app.ledger.records import SlaClock
from app.rules.calibration.backtest_runs import BacktestRun
from app.rules.kpis.facts import LeadCycle
from app.rules.nurture.facts import OfferRecord
from app.rules.nurture.policy import NurtureConfig
from app.rules.sla.policy import SlaConfig

T = TypeVar("T")
logger = logging.getLogger(__name__)
FACTS_TTL_SECONDS = 60.0


class Expiring(Generic[T]):
    """A value read by `read` and kept for `ttl` seconds (thread-safe).

    The first call reads it; later, an old value is still returned while one background thread reads the new one
    (`background=False`: the caller waits for it), so no request waits for the ledger once the page has been seen.
    """

    def __init__(
        self, read: Callable[[], T], ttl: float, clock: Callable[[], float] = time.monotonic, background: bool = True
    ) -> None:
        self._read = read
        self._ttl = ttl
        self._clock = clock
        self._background = background
        self._lock = threading.Lock()
        self._reading = threading.Lock()
        self._value: T | None = None
        self._read_at = 0.0
        self._refreshing = False
        self.generation = 0  # counts the changed reads: what was computed from an older value is stale

    def __call__(self) -> T:
        """Return the kept value: read it when there is none; when it is old, read it again (in the background)."""
        with self._lock:
            value, old = self._value, self._clock() - self._read_at >= self._ttl
            if value is not None and old and self._background and not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh, name="dashboard-refresh", daemon=True).start()
            if value is not None and (not old or self._background):
                return value
        return self._refresh()

    def warm(self) -> threading.Thread:
        """Read the value now, in the background, so the first request finds it read (a failure is logged, and the
        first request reads again); return the reading thread."""
        thread = threading.Thread(target=self._warm, name="dashboard-warm", daemon=True)
        thread.start()
        return thread

    def _warm(self) -> None:
        try:
            self()
        except Exception:  # logged by _refresh; the first request reads again and shows the error
            return

    def _refresh(self) -> T:
        with self._reading:  # one read at a time; a caller that waited takes what the other read
            with self._lock:
                if self._value is not None and self._clock() - self._read_at < self._ttl:
                    self._refreshing = False
                    return self._value
            try:
                value = self._read()
            except Exception:
                logger.exception("dashboard.refresh-failed")
                with self._lock:
                    self._refreshing = False
                    if self._value is None:
                        raise
                    return self._value
            with self._lock:
                kept = self._value
                unchanged = kept is not None and value == kept
                if kept is not None and unchanged:  # keep it and its generation: what was computed from it holds
                    value = kept
                self._value, self._read_at, self._refreshing = value, self._clock(), False
                self.generation += 0 if unchanged else 1
                return value


@dataclass(frozen=True)
class DashboardSources:
    """Where the dashboard's data comes from (built by the composition root, app/__init__.py)."""

    facts: Expiring[Sequence[LeadCycle]]
    all_clocks: Expiring[Sequence[SlaClock]]
    open_clocks: Callable[[], Sequence[SlaClock]]
    owner_names: Callable[[], Mapping[str, str]]
    sla: SlaConfig | None
    now: Callable[[], datetime]
    nurture: Expiring[Sequence[OfferRecord]] | None = None  # the ledger's nurture offers ("Content that activates")
    nurture_config: NurtureConfig | None = None  # the steps' order and labels
    last_backtest: Callable[[], BacktestRun | None] | None = None  # the newest backtest recorded ("Last backtest")
