"""Webhook-to-score latency, measured in real time: from HubSpot's webhook acknowledged to the score written."""

from __future__ import annotations

import statistics
import threading
import time
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass

from hubspot_twin.crm.changes import INTEGRATION, Change, ChangeFeed
from hubspot_twin.webhooks.dispatch import WebhookDispatcher

SCORE_PREFIX = "leadflow_"


@dataclass(frozen=True)
class Latency:
    samples: int
    p50: float
    p95: float
    p99: float


class LatencyProbe:
    """Records when Leadflow writes scores (from the twin's change feed) and pairs them with deliveries."""

    def __init__(self, feed: ChangeFeed, dispatcher: WebhookDispatcher, app_id: str) -> None:
        self._dispatcher = dispatcher
        self._app_id = app_id
        self._lock = threading.Lock()
        self._writes: dict[str, list[float]] = defaultdict(list)
        self._unsubscribe = feed.subscribe(self._observe)

    def close(self) -> None:
        self._unsubscribe()

    def _observe(self, change: Change) -> None:
        ours = change.source.change_source == INTEGRATION and change.source.source_id == self._app_id
        if ours and change.object_type == "contacts" and any(p.startswith(SCORE_PREFIX) for p in change.properties):
            with self._lock:
                self._writes[change.object_id].append(time.time())

    def measure(self, since: float = 0.0) -> Latency | None:
        """Return the latency of every score write (made at or after `since`, epoch seconds): from the first
        webhook about the contact acknowledged since its previous write, to the write."""
        samples = self.samples(since)
        if not samples:
            return None
        ordered = sorted(samples)
        return Latency(len(ordered), statistics.median(ordered), _percentile(ordered, 95), _percentile(ordered, 99))

    def samples(self, since: float = 0.0) -> list[float]:
        """Return the seconds from acknowledged webhook to score write of every write made at or after `since`."""
        return [written - acked for acked, written in self.pairs(since)]

    def pairs(self, since: float = 0.0) -> list[tuple[float, float]]:
        """Return (webhook acknowledged, score written), epoch seconds, for every write made at or after `since`."""
        acked = self._acknowledged()
        with self._lock:
            writes = {contact: sorted(times) for contact, times in self._writes.items()}
        return [pair for contact, times in writes.items() for pair in _pairs(acked.get(contact, []), times, since)]

    def write_times(self, since: float = 0.0) -> list[float]:
        """Return when (epoch seconds, in order) Leadflow wrote scores, at or after `since`."""
        with self._lock:
            return sorted(t for times in self._writes.values() for t in times if t >= since)

    def _acknowledged(self) -> dict[str, list[float]]:
        acked: dict[str, list[float]] = defaultdict(list)
        for attempt in self._dispatcher.log:
            if attempt.status is not None and attempt.status < 300:
                for event in attempt.events:
                    contact = _contact_of(event)
                    if contact:
                        acked[contact].append(attempt.started_at + attempt.duration_s)
        return {contact: sorted(times) for contact, times in acked.items()}


def _contact_of(event: dict[str, object]) -> str | None:
    if str(event.get("subscriptionType", "")).startswith("contact."):
        object_id = event.get("objectId") or event.get("fromObjectId")
        return str(object_id) if object_id is not None else None
    return None


def _pairs(acks: list[float], writes: list[float], since: float) -> list[tuple[float, float]]:
    found, previous = [], 0.0
    for written in writes:
        start = bisect_right(acks, previous)
        if written >= since and start < len(acks) and acks[start] <= written:
            found.append((acks[start], written))
        previous = written
    return found


def _percentile(ordered: list[float], percent: int) -> float:
    index = max(0, min(len(ordered) - 1, round(percent / 100 * len(ordered)) - 1))
    return ordered[index]


__all__ = ["Latency", "LatencyProbe"]
