"""The guard's request log: the last N API requests, and counts since the last reset.

Tokens are never kept: an entry names a token by the first 12 hex digits of its SHA-256. Endpoints are counter
keys (``GET /crm/v3/objects/contacts/{id}``, the same as ``GET /_twin/requests``).
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter, defaultdict, deque
from dataclasses import asdict, dataclass
from typing import Any

DROPPED = "dropped"


def token_label(token: str | None) -> str | None:
    """Return how the log names a token: ``sha256:`` and 12 hex digits of its hash (None without a token)."""
    if token is None:
        return None
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class LogEntry:
    """One API request: when, what, whose, the answer, and whether a limit or a fault decided it."""

    time: str
    method: str
    endpoint: str
    token: str | None
    status: int | None  # None: the connection was dropped without an answer
    duration_ms: float
    rate_limited: str | None  # the policy of a 429 from the limits
    fault: str | None  # the kind of injected fault

    def to_json(self) -> dict[str, Any]:
        """Return the entry as ``GET /_twin/log`` lists it."""
        return asdict(self)


class RequestLog:
    """Thread-safe, bounded log of API requests plus unbounded counts (both cleared by ``reset``)."""

    def __init__(self, capacity: int = 10_000) -> None:
        if capacity < 1:
            raise ValueError("the request log needs room for at least one entry")
        self._lock = threading.Lock()
        self._entries: deque[LogEntry] = deque(maxlen=capacity)
        self._reset_counts()

    @property
    def capacity(self) -> int:
        """Return how many entries the log keeps."""
        return self._entries.maxlen or 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def record(self, entry: LogEntry) -> None:
        """Keep an entry (the oldest goes when the log is full) and count it."""
        status = DROPPED if entry.status is None else str(entry.status)
        with self._lock:
            self._entries.append(entry)
            self._total += 1
            self._endpoints[entry.endpoint][status] += 1
            self._statuses[status] += 1
            if entry.rate_limited is not None:
                self._rate_limited[entry.rate_limited] += 1
            if entry.fault is not None:
                self._faults[entry.fault] += 1

    def entries(self, limit: int | None = None) -> list[LogEntry]:
        """Return the newest ``limit`` entries (all when None), oldest first."""
        with self._lock:
            kept = list(self._entries)
        return kept if limit is None else kept[max(0, len(kept) - limit) :]

    def stats(self) -> dict[str, Any]:
        """Return the counts: total, per endpoint and status, per status, 429s per policy, faults per kind."""
        with self._lock:
            return {
                "total": self._total,
                "endpoints": {key: dict(sorted(counts.items())) for key, counts in sorted(self._endpoints.items())},
                "statuses": dict(sorted(self._statuses.items())),
                "rate_limited": dict(sorted(self._rate_limited.items())),
                "faults": dict(sorted(self._faults.items())),
            }

    def reset(self) -> None:
        """Forget every entry and count."""
        with self._lock:
            self._entries.clear()
            self._reset_counts()

    def _reset_counts(self) -> None:
        self._total = 0
        self._endpoints: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._statuses: Counter[str] = Counter()
        self._rate_limited: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()
