"""Delivering the twin's changes as HubSpot delivers webhooks: batched, throttled, signed, retried.

The dispatcher subscribes to a `ChangeFeed`; its listener only queues (it runs under the store's lock). A
scheduler thread maps changes to events, cuts batches of at most 100 events once `linger_s` has passed since
the oldest waiting event (or a batch is full) and releases retries when due; `max_concurrent_requests` worker
threads POST the batches, so no more requests than that are ever in flight. A failed attempt (no connection,
no answer within `request_timeout_s`, any 4xx/5xx) is retried with `attemptNumber` + 1, a fresh timestamp and
signature, on HubSpot's randomized schedule, up to 10 attempts. For tests, `duplicate_share` sends some
batches twice and `reorder` shuffles events across batches and delivers batches out of order (seeded).
"""

from __future__ import annotations

import heapq
import itertools
import json
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

from hubspot_twin.crm.changes import Change, ChangeFeed
from hubspot_twin.webhooks.delivery import Answer, RetrySchedule, post_signed
from hubspot_twin.webhooks.delivery_log import DELIVERED, GAVE_UP, RETRYING, DeliveryAttempt, DispatchStats
from hubspot_twin.webhooks.events import Event, EventMapper
from hubspot_twin.webhooks.subscriptions import WebhookSettings

Transport = Callable[[str, str, str, float], Answer]  # (url, body, client secret, timeout) -> answer
MAX_BATCH = 100  # HubSpot sends at most 100 events per request

__all__ = ["DeliveryAttempt", "DispatchOptions", "DispatchStats", "WebhookDispatcher"]


@dataclass(frozen=True)
class DispatchOptions:
    """How the dispatcher batches, times out, retries and misbehaves (the misbehaviours are for tests)."""

    linger_s: float = 0.02
    max_batch_size: int = MAX_BATCH
    request_timeout_s: float = 5.0
    retry: RetrySchedule = field(default_factory=RetrySchedule.hubspot)
    duplicate_share: float = 0.0
    reorder: bool = False
    reorder_window_s: float = 0.05
    seed: int | None = None
    drain_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if not 1 <= self.max_batch_size <= MAX_BATCH:
            raise ValueError(f"max_batch_size must be between 1 and {MAX_BATCH}")
        if not 0.0 <= self.duplicate_share <= 1.0:
            raise ValueError("duplicate_share must be between 0 and 1")


@dataclass(frozen=True)
class Batch:
    batch_id: int
    events: tuple[Event, ...]
    attempt_number: int = 0
    duplicate: bool = False


class WebhookDispatcher:
    """Delivers webhook events for the changes a feed publishes to one app's target URL."""

    def __init__(
        self,
        feed: ChangeFeed,
        settings: WebhookSettings,
        options: DispatchOptions | None = None,
        *,
        transport: Transport = post_signed,
    ) -> None:
        self.feed, self.settings = feed, settings
        self.options = options or DispatchOptions()
        self.mapper = EventMapper(settings)
        self._transport = transport
        self._rng = random.Random(self.options.seed)
        self._cond = threading.Condition()
        self._changes: deque[Change] = deque()
        self._pending: list[Event] = []
        self._pending_since: float | None = None
        self._ready: deque[Batch] = deque()
        self._timers: list[tuple[float, int, Batch]] = []  # retries, duplicates and held-back batches
        self._in_flight = 0
        self._log: list[DeliveryAttempt] = []
        self._counts: Counter[str] = Counter()
        self._batch_ids, self._sequence = itertools.count(1), itertools.count()
        self._threads: list[threading.Thread] = []
        self._unsubscribe: Callable[[], None] | None = None
        self._flushing = self._stopped = False

    def start(self) -> WebhookDispatcher:
        """Subscribe to the feed and start the scheduler and the workers; return self."""
        if self._threads:
            raise RuntimeError("the dispatcher is already started")
        workers = self.settings.max_concurrent_requests
        self._threads = [threading.Thread(target=self._schedule, name="webhooks-scheduler", daemon=True)]
        self._threads += [
            threading.Thread(target=self._work, name=f"webhooks-worker-{n}", daemon=True) for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()
        self._unsubscribe = self.feed.subscribe(self.enqueue)
        return self

    def enqueue(self, change: Change) -> None:
        """Queue one change for delivery (the feed listener: it only queues)."""
        with self._cond:
            self._changes.append(change)
            self._counts["changes"] += 1
            self._cond.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every queued change is delivered or given up; return False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._idle():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def stop(self, drain: bool = True) -> None:
        """Unsubscribe; with `drain`, deliver what is queued first (up to `drain_timeout_s`); join the threads."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if drain and self._threads:
            with self._cond:
                self._flushing = True
                self._cond.notify_all()
            self.wait_idle(self.options.drain_timeout_s)
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join()

    @property
    def log(self) -> list[DeliveryAttempt]:
        """Return every attempt so far, in the order they finished."""
        with self._cond:
            return list(self._log)

    def stats(self) -> DispatchStats:
        """Return the counters and the current queue state."""
        with self._cond:
            waiting = len(self._pending) + sum(len(b.events) for b in [*self._ready, *(t[2] for t in self._timers)])
            return DispatchStats.of(self._counts, self._in_flight, len(self._changes), waiting)

    def delivery_times(self) -> dict[int, float]:
        """Return, per eventId, when (epoch seconds) a delivery of it was first acknowledged."""
        times: dict[int, float] = {}
        for attempt in self.log:
            for event_id in attempt.event_ids if attempt.ok else ():
                times.setdefault(event_id, attempt.finished_at)
        return times

    def __enter__(self) -> WebhookDispatcher:
        return self.start() if not self._threads else self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop(drain=exc_type is None)

    # The scheduler: changes → events → batches; timers → ready.

    def _schedule(self) -> None:
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                self._map_changes()
                self._cut_batches(now)
                self._release_timers(now)
                self._cond.notify_all()
                self._cond.wait(self._next_wake(now))

    def _map_changes(self) -> None:
        while self._changes:
            events = self.mapper.events(self._changes.popleft())
            if events and not self._pending:
                self._pending_since = time.monotonic()
            self._pending.extend(events)
            self._counts["events"] += len(events)

    def _cut_batches(self, now: float) -> None:
        if not self._pending or self._pending_since is None:
            return
        size = self.options.max_batch_size
        due = self._flushing or now - self._pending_since >= self.options.linger_s
        if not due and len(self._pending) < size:
            return
        if self.options.reorder:
            self._rng.shuffle(self._pending)
        while len(self._pending) >= size or (due and self._pending):
            chunk, self._pending = tuple(self._pending[:size]), self._pending[size:]
            self._add_batch(Batch(next(self._batch_ids), chunk), now)
        self._pending_since = self._pending_since if self._pending else None

    def _add_batch(self, batch: Batch, now: float) -> None:
        self._counts["batches"] += 1
        if self.options.reorder:
            self._at(now + self._rng.uniform(0, self.options.reorder_window_s), batch)
        else:
            self._ready.append(batch)
        if self._rng.random() < self.options.duplicate_share:
            self._counts["duplicates"] += 1
            copy = Batch(next(self._batch_ids), batch.events, duplicate=True)
            self._at(now + self.options.linger_s + self._rng.uniform(0, self.options.reorder_window_s), copy)

    def _at(self, when: float, batch: Batch) -> None:
        heapq.heappush(self._timers, (when, next(self._sequence), batch))

    def _release_timers(self, now: float) -> None:
        while self._timers and self._timers[0][0] <= now:
            self._ready.append(heapq.heappop(self._timers)[2])

    def _next_wake(self, now: float) -> float | None:
        wakes = [when - now for when, _, _ in self._timers[:1]]
        if self._pending_since is not None:
            wakes.append(self._pending_since + self.options.linger_s - now)
        return max(0.0, min(wakes)) if wakes else None

    def _idle(self) -> bool:
        return not (self._changes or self._pending or self._ready or self._timers or self._in_flight)

    # The workers: one request at a time each.

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._ready and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                batch = self._take()
                self._in_flight += 1
                self._counts["max_in_flight"] = max(self._counts["max_in_flight"], self._in_flight)
            attempt = self._send(batch)
            with self._cond:
                self._in_flight -= 1
                self._record(batch, attempt)
                self._cond.notify_all()

    def _take(self) -> Batch:
        if self.options.reorder and len(self._ready) > 1:
            self._ready.rotate(-self._rng.randrange(len(self._ready)))
        return self._ready.popleft()

    def _send(self, batch: Batch) -> DeliveryAttempt:
        events = tuple({**event, "attemptNumber": batch.attempt_number} for event in batch.events)
        body = json.dumps(list(events), separators=(",", ":"))
        started = time.time()
        settings = self.settings
        try:
            answer = self._transport(settings.target_url, body, settings.client_secret, self.options.request_timeout_s)
        except Exception as exc:  # a broken transport fails the attempt, never the worker thread
            answer = Answer(None, "", f"{type(exc).__name__}: {exc}", time.time() - started)
        return DeliveryAttempt.of(batch.batch_id, batch.attempt_number, events, answer, started, batch.duplicate)

    def _record(self, batch: Batch, attempt: DeliveryAttempt) -> None:
        retry = batch.attempt_number + 1
        if attempt.ok:
            outcome = DELIVERED
        elif retry < self.options.retry.max_attempts:
            outcome = RETRYING
            delay = self.options.retry.delay(retry, self._rng)
            self._at(time.monotonic() + delay, Batch(batch.batch_id, batch.events, retry, batch.duplicate))
        else:
            outcome = GAVE_UP
        attempt = attempt.with_outcome(outcome)
        self._log.append(attempt)
        self._counts.update(attempt.counts())
