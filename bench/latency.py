"""Latency: from HubSpot's webhook acknowledged by `web` to the score written, at a steady 50 events per second and
during a burst, against Leadflow as it runs in production (gunicorn, two `leadflow worker`s, PostgreSQL, Redis)
and the twin with HubSpot's Professional limits.

A seeded portal (bulk API, nothing published), then buyer actions made in the twin (whitepaper, webinar and demo
forms, newsletter clicks: each adds engagement points, so every contact touched gets a new score), which the twin's
dispatcher delivers as signed webhooks. `LatencyProbe` pairs each score write with the first webhook about that
contact acknowledged since its previous write. Steady: 50 actions a second, evenly paced, on distinct contacts.
Burst: five actions on each of a set of contacts, as fast as the twin takes them, round by round (so each
contact's events are spread over the burst). Each phase is measured on its own writes only, and ends settled.

The details break the latency down by the drain jobs that wrote the scores (RQ's enqueued / started / ended
times): how long a contact waited for the drain that wrote it to start, and how long that drain took (its
debounce included), beside HubSpot requests, 429s and the peak requests in any ten seconds.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from rq.job import Job
from rq.registry import FinishedJobRegistry

from app.demo.latency import Latency
from bench.env import Servers, busiest_window, request_times, stack
from bench.live import LiveLeadflow, live_leadflow
from bench.portal import seed_portal, synthetic_portal
from bench.report import Figure, Report, Target, quantile
from hubspot_twin import Twin
from hubspot_twin.http.guard import GuardConfig
from hubspot_twin.simulator.actions import apply_action

SECTION = "latency"
RATE = 50.0  # events per second in the steady phase
TARGET_P95 = 2.0
STEADY_ACTIONS = ("whitepaper", "webinar", "demo_request", "newsletter_click")
# A burst's rounds: every one adds points (whitepaper cap 15, newsletter cap 10; webinar and demo uncapped), and
# consecutive form submissions differ, so every action changes a property Leadflow subscribes to.
BURST_ROUNDS = ("whitepaper", "webinar", "newsletter_click", "demo_request", "whitepaper")


@dataclass(frozen=True)
class Size:
    contacts: int
    companies: int
    steady_seconds: float
    burst_contacts: int

    @classmethod
    def of(cls, quick: bool) -> Size:
        return cls(2_000, 400, 30.0, 400) if quick else cls(10_000, 2_000, 120.0, 2_000)


@dataclass
class Phase:
    """What one phase did and measured."""

    name: str
    events: int = 0
    seconds: float = 0.0  # making the changes
    started: float = 0.0  # epoch seconds
    settle_seconds: float = 0.0  # after the last change, until Leadflow had nothing left to do
    latency: Latency | None = None
    samples: list[float] = field(default_factory=list)
    last_write: float | None = None  # epoch seconds
    requests: int = 0
    requests_by_endpoint: dict[str, int] = field(default_factory=dict)
    rate_limited: dict[str, int] = field(default_factory=dict)
    peak_requests_10s: int = 0
    breakdown: dict[str, Any] = field(default_factory=dict)

    @property
    def time_to_written(self) -> float:
        return (self.last_write - self.started) if self.last_write is not None else 0.0

    def summary(self) -> dict[str, Any]:
        latency = self.latency
        return {
            "events": self.events,
            "events_per_second": round(self.events / self.seconds, 1) if self.seconds else None,
            "seconds_making_changes": round(self.seconds, 2),
            "settle_seconds": round(self.settle_seconds, 2),
            "time_to_all_written_s": round(self.time_to_written, 2),
            "samples": latency.samples if latency else 0,
            "p50_s": round(latency.p50, 3) if latency else None,
            "p95_s": round(latency.p95, 3) if latency else None,
            "p99_s": round(latency.p99, 3) if latency else None,
            "max_s": round(max(self.samples), 3) if self.samples else None,
            "hubspot_requests": self.requests,
            "hubspot_requests_by_endpoint": self.requests_by_endpoint,
            "peak_requests_in_10s": self.peak_requests_10s,
            "rate_limit": GuardConfig().ten_second_limit,
            "responses_429": self.rate_limited,
            "breakdown": self.breakdown,
        }


def steady(live: LiveLeadflow, contacts: Sequence[str], seconds: float, rng: random.Random) -> Phase:
    """`RATE` actions a second for `seconds`, each on a contact not touched before in this phase."""
    twin, phase = live.stack.twin, Phase("steady")
    count = min(int(seconds * RATE), len(contacts))
    chosen = rng.sample(list(contacts), count)

    def make() -> None:
        started = time.perf_counter()
        for index, contact in enumerate(chosen):
            delay = started + index / RATE - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            apply_action(twin, contact, rng.choice(STEADY_ACTIONS), datetime.now(UTC), rng)

    return measured(live, phase, make, count)


def burst(live: LiveLeadflow, contacts: Sequence[str], size: Size, rng: random.Random) -> Phase:
    """`len(BURST_ROUNDS)` actions on each of `size.burst_contacts` contacts, as fast as the twin takes them."""
    twin, phase = live.stack.twin, Phase("burst")
    chosen = rng.sample(list(contacts), size.burst_contacts)

    def make() -> None:
        for action in BURST_ROUNDS:
            for contact in chosen:
                apply_action(twin, contact, action, datetime.now(UTC), rng)

    return measured(live, phase, make, len(chosen) * len(BURST_ROUNDS))


def measured(live: LiveLeadflow, phase: Phase, make: Any, events: int) -> Phase:
    """Make a phase's changes, settle, and measure its writes, requests and drains only."""
    twin = live.stack.twin
    requests_before = twin.request_counts()
    limited_before = _rate_limited(twin)
    phase.started = time.time()
    began = time.perf_counter()
    make()
    phase.seconds = time.perf_counter() - began
    phase.events = events
    phase.settle_seconds = live.settle()
    ended = time.time()
    phase.samples = live.latency.samples(since=phase.started)
    phase.latency = live.latency.measure(since=phase.started)
    writes = live.latency.write_times(since=phase.started)
    phase.last_write = writes[-1] if writes else None
    after = twin.request_counts()
    phase.requests_by_endpoint = {
        k: v - requests_before.get(k, 0) for k, v in after.items() if v > requests_before.get(k, 0)
    }
    phase.requests = sum(phase.requests_by_endpoint.values())
    limited_after = _rate_limited(twin)
    phase.rate_limited = {
        k: v - limited_before.get(k, 0) for k, v in limited_after.items() if v > limited_before.get(k, 0)
    }
    phase.peak_requests_10s = busiest_window(request_times(twin, phase.started, ended))
    phase.breakdown = breakdown(live, phase.started)
    return phase


def _rate_limited(twin: Twin) -> dict[str, int]:
    return dict(twin.guard.stats()["rate_limited"]) if twin.guard else {}


@dataclass(frozen=True)
class DrainRun:
    enqueued: float
    started: float
    ended: float
    claimed: int
    written: int


def drain_runs(live: LiveLeadflow, since: float) -> list[DrainRun]:
    """The drain jobs that finished since `since` (RQ keeps them for their result_ttl), oldest first."""
    container = live.container
    registry = FinishedJobRegistry(
        container.queue.name, connection=container.redis, serializer=container.queue.serializer
    )
    jobs = Job.fetch_many(registry.get_job_ids(), connection=container.redis, serializer=container.queue.serializer)
    runs = []
    for job in jobs:
        if (
            job is None
            or job.func_name != "app.sync.drain.drain"
            or not (job.enqueued_at and job.started_at and job.ended_at)
        ):
            continue
        result: Mapping[str, Any] = job.return_value() or {}
        runs.append(
            DrainRun(
                _epoch(job.enqueued_at),
                _epoch(job.started_at),
                _epoch(job.ended_at),
                int(result.get("claimed", 0)),
                int(result.get("written", 0)),
            )
        )
    return sorted((r for r in runs if r.ended >= since), key=lambda r: r.started)


def _epoch(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def breakdown(live: LiveLeadflow, since: float) -> dict[str, Any]:
    """Where the phase's latency went: per write, the drain that wrote it (the write falls between its start and
    end); the wait from the webhook's acknowledgement to that drain's start, and the drain's start to the write."""
    runs = drain_runs(live, since)
    if not runs:
        return {}
    pairs = live.latency.pairs(since=since)
    waits, inside = [], []
    for ack, written in pairs:
        run = next((r for r in runs if r.started <= written <= r.ended + 0.05), None)
        if run is not None:
            waits.append(run.started - ack)
            inside.append(written - run.started)
    gaps = [b.started - a.ended for a, b in pairwise(runs)]
    return {
        "drains": len(runs),
        "drains_that_wrote": sum(1 for r in runs if r.written),
        "contacts_per_drain_mean": round(statistics.fmean(r.claimed for r in runs), 1),
        "drain_seconds": _spread([r.ended - r.started for r in runs]),
        "pickup_seconds": _spread([r.started - r.enqueued for r in runs]),
        "gap_between_drains_seconds": _spread(gaps),
        "ack_to_drain_start_seconds": _spread(waits),
        "drain_start_to_write_seconds": _spread(inside),
    }


def _spread(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {}
    p50, p95 = quantile(values, 0.5), quantile(values, 0.95)
    return {"p50": round(p50, 3), "p95": round(p95, 3), "max": round(max(values), 3)}


def measure(
    quick: bool, settings: Mapping[str, Any] | None = None, limits: GuardConfig | None = None, seed_value: int = 5
) -> tuple[Phase, Phase]:
    """Run both phases against a fresh stack (with these settings overridden, these twin limits); return them."""
    size, rng = Size.of(quick), random.Random(seed_value)
    with stack(Servers(), database="postgresql", limits=limits, settings=settings) as the_stack:
        contacts = seed_portal(the_stack.twin, synthetic_portal(size.contacts, size.companies))
        with live_leadflow(the_stack, workers=2) as live:
            live.settle()
            steady_phase = steady(live, contacts, size.steady_seconds, rng)
            burst_phase = burst(live, contacts, size, rng)
    return steady_phase, burst_phase


def run(report: Report, quick: bool) -> None:
    size = Size.of(quick)
    steady_phase, burst_phase = measure(quick)
    debounce = _debounce()
    report.details[SECTION] = {
        "database": "postgresql",
        "workers": 2,
        "web_workers": 2,
        "contacts": size.contacts,
        "companies": size.companies,
        "drain_debounce_seconds": debounce,
        "steady": steady_phase.summary(),
        "burst": {**burst_phase.summary(), "contacts": size.burst_contacts},
    }
    report.add(*figures(steady_phase, burst_phase, size))


def figures(steady_phase: Phase, burst_phase: Phase, size: Size) -> list[Figure]:
    s, b = steady_phase, burst_phase
    over = (
        f"{s.events:,} events in {s.seconds:.0f} s, {s.requests} HubSpot requests, {sum(s.rate_limited.values())} 429s"
    )
    on = f"{b.events:,} events on {size.burst_contacts:,} contacts in {b.seconds:.1f} s"
    out: list[Figure] = []
    for phase, note in ((s, over), (b, on)):
        latency = phase.latency
        if latency is None:
            out.append(Figure(SECTION, f"{phase.name} latency p95", float("nan"), "s", note="no score written"))
            continue
        target = Target("value", "<", TARGET_P95) if phase is s else None
        name = "steady 50/s" if phase is s else "burst"
        out += [
            Figure(SECTION, f"{name} latency p50", latency.p50, "s", note=note),
            Figure(SECTION, f"{name} latency p95", latency.p95, "s", target=target, note=f"{latency.samples} writes"),
            Figure(SECTION, f"{name} latency p99", latency.p99, "s"),
        ]
    out.append(Figure(SECTION, "burst time until all written", b.time_to_written, "s", note=on))
    return out


def _debounce() -> float:
    from app.settings import Settings

    return float(Settings.model_fields["drain_debounce_seconds"].default)
