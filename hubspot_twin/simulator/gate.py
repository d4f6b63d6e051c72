"""A gate between the twin's changes and their webhooks: held while a tick is played, opened to let them out.

With the gate held during a tick, every webhook of that tick reaches the receiver after the simulated clock has
moved to the tick's end, so the receiver always works at the same simulated time and a run is reproducible.
"""

from __future__ import annotations

import threading

from hubspot_twin.crm.changes import Change, ChangeFeed


class ChangeGate:
    """Forwards changes from `source` to `target`, holding them while closed."""

    def __init__(self, source: ChangeFeed, target: ChangeFeed | None = None) -> None:
        self.target = target or ChangeFeed()
        self._lock = threading.Lock()
        self._held: list[Change] | None = None
        self._unsubscribe = source.subscribe(self._receive)

    def hold(self) -> None:
        """Keep every later change until `release()`."""
        with self._lock:
            if self._held is None:
                self._held = []

    def release(self) -> None:
        """Forward the held changes in order, then let changes through as they come."""
        with self._lock:
            held, self._held = self._held or [], None
        for change in held:
            self.target.publish(change)

    def close(self) -> None:
        self._unsubscribe()

    def _receive(self, change: Change) -> None:
        with self._lock:
            if self._held is not None:
                self._held.append(change)
                return
        self.target.publish(change)
