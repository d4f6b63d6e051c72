"""Per-endpoint request counters (what ``GET /_twin/requests`` reports)."""

from __future__ import annotations

import re
import threading
from collections import Counter

_NUMERIC_SEGMENT = re.compile(r"(?<=/)\d+(?=/|$)")


def endpoint_key(method: str, path: str) -> str:
    """Return the counter key of a request: ``POST /crm/v3/objects/contacts/{id}`` (numeric ids replaced)."""
    return f"{method.upper()} {_NUMERIC_SEGMENT.sub('{id}', path)}"


class RequestCounter:
    """Thread-safe counts of requests per endpoint key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def record(self, key: str) -> None:
        """Count one request."""
        with self._lock:
            self._counts[key] += 1

    def counts(self) -> dict[str, int]:
        """Return a copy of the counts, keys sorted."""
        with self._lock:
            return dict(sorted(self._counts.items()))

    def total(self) -> int:
        """Return the number of requests counted."""
        with self._lock:
            return sum(self._counts.values())

    def reset(self) -> None:
        """Forget every count."""
        with self._lock:
            self._counts.clear()
