"""Intake: signed batches of 100 HubSpot events posted concurrently to `web` (gunicorn as in the Procfile).

Figures: events per second accepted (every answer must be 204) and the p50 / p99 response time of a batch. The
baseline is the raw storage work intake does per batch, in as many processes as gunicorn has workers: the same
ledger insert (`Ledger.record_intake` of the same translated events) plus the same Redis writes (worklist marks,
pending job, event counts) in a tight loop — how close intake comes to its own storage limit. PostgreSQL and a
real Redis. Afterwards the ledger must hold exactly the events posted: nothing lost, nothing doubled.
"""

from __future__ import annotations

import http.client
import itertools
import json
import multiprocessing
import random
import statistics
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from app.ledger.database import create_ledger_engine
from app.settings import Settings
from app.webhooks.events import parse_events
from bench.env import CLIENT_SECRET, Servers, Stack, stack
from bench.report import Figure, Report, Target
from hubspot_twin.webhooks.handmade import EventFactory
from hubspot_twin.webhooks.signing import signed_headers

SECTION = "intake"
BATCH = 100  # HubSpot sends at most 100 events per request
WEB_WORKERS = 2  # the Procfile's `gunicorn --workers 2`
CONTACTS = 50_000
COMPANIES = 5_000
OFFERS = ("Whitepaper: Predictive maintenance", "Whitepaper: OEE in practice", "Demo request", "Webinar: Lean 4.0")
PLAIN_PROPERTIES = ("jobtitle", "phone", "city", "lifecyclestage", "hs_lead_status")


@dataclass
class Load:
    """What one timed run of posting did: answers by status, latencies, events accepted, wall time."""

    concurrency: int
    seconds: float = 0.0
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    @property
    def accepted_events(self) -> int:
        return self.statuses["204"] * BATCH

    @property
    def rate(self) -> float:
        return self.accepted_events / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        if len(self.latencies) < 2:
            return 1000 * (self.latencies[0] if self.latencies else 0.0)
        return 1000 * statistics.quantiles(self.latencies, n=1000, method="inclusive")[round(q * 1000) - 1]

    def summary(self) -> dict[str, Any]:
        return {
            "concurrency": self.concurrency,
            "seconds": round(self.seconds, 2),
            "requests": len(self.latencies),
            "statuses": dict(self.statuses),
            "events_per_second": round(self.rate),
            "p50_ms": round(self.percentile_ms(0.5), 1),
            "p99_ms": round(self.percentile_ms(0.99), 1),
        }


def batches(factory: EventFactory, count: int, rng: random.Random) -> list[list[dict[str, Any]]]:
    """Return `count` batches of realistic events with unique event ids (no duplicate anywhere)."""
    now_ms = int(time.time() * 1000)
    return [[_event(factory, rng, now_ms - rng.randint(0, 60_000)) for _ in range(BATCH)] for _ in range(count)]


def _event(factory: EventFactory, rng: random.Random, at: int) -> dict[str, Any]:
    contact, draw = rng.randint(1, CONTACTS), rng.random()
    if draw < 0.25:
        return factory.property_change(
            "contact", contact, "recent_conversion_event_name", rng.choice(OFFERS), occurred_at_ms=at
        )
    if draw < 0.40:
        return factory.property_change("contact", contact, "hs_email_last_click_date", str(at), occurred_at_ms=at)
    if draw < 0.50:
        return factory.property_change(
            "contact", contact, "hs_analytics_last_url", "https://x.example/pricing", occurred_at_ms=at
        )
    if draw < 0.65:
        value = rng.choice(("Engineer", "+49 30 1234", "Berlin", "lead", "OPEN"))
        return factory.property_change("contact", contact, rng.choice(PLAIN_PROPERTIES), value, occurred_at_ms=at)
    if draw < 0.80:
        return factory.creation("contact", contact, occurred_at_ms=at)
    company = rng.randint(1, COMPANIES)
    return factory.property_change(
        "company", company, "numberofemployees", str(rng.randint(5, 5000)), occurred_at_ms=at
    )


def bodies(factory: EventFactory, count: int, seed: int) -> list[str]:
    """Return `count` JSON bodies of 100 events each, as HubSpot serialises them."""
    rng = random.Random(seed)
    return [json.dumps(batch, separators=(",", ":")) for batch in batches(factory, count, rng)]


def post(url: str, body: str) -> tuple[str, float]:
    """POST one signed body on a fresh connection (no keep-alive, as HubSpot); return the status and seconds."""
    parts = urllib.parse.urlsplit(url)
    started = time.perf_counter()
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.request("POST", parts.path, body=body.encode(), headers=signed_headers(CLIENT_SECRET, url, body))
        response = connection.getresponse()
        response.read()
        status = str(response.status)
    except (OSError, http.client.HTTPException) as exc:
        status = type(exc).__name__
    finally:
        connection.close()
    return status, time.perf_counter() - started


def load(url: str, pending: Iterator[str], concurrency: int, seconds: float) -> Load:
    """Post bodies from `concurrency` threads until `seconds` have passed (or the bodies run out)."""
    result, lock = Load(concurrency), threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        while time.perf_counter() < deadline:
            with lock:
                body = next(pending, None)
            if body is None:
                return
            status, took = post(url, body)
            with lock:
                result.statuses[status] += 1
                result.latencies.append(took)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def ledger_signals(database_url: str) -> int:
    engine = create_ledger_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM signals")).scalar_one())
    finally:
        engine.dispose()


def storage_worker(settings: Settings, index: int, seconds: float, start: Any, results: Any) -> None:
    """One baseline process: intake's storage work (ledger insert, Redis marks) on pre-translated batches."""
    from app.bootstrap import build_container

    intake = build_container(settings).webhook_intake()
    factory = EventFactory(portal_id=900 + index)  # its own portal: no event of it is a duplicate of another's
    prepared = [intake.translate(parse_events(body.encode())) for body in bodies(factory, int(seconds * 200), index)]
    start.wait()  # every process starts storing at once
    done, started = 0, time.perf_counter()
    for translated in prepared:
        if time.perf_counter() - started >= seconds:
            break
        intake.record(translated)
        done += 1
    results.put(done * BATCH / (time.perf_counter() - started))


def storage_rate(the_stack: Stack, seconds: float) -> float:
    """Events per second of the raw storage work, in as many processes as gunicorn has workers."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(WEB_WORKERS), context.Queue()
    args = [(the_stack.settings(), index, seconds, start, results) for index in range(WEB_WORKERS)]
    processes = [context.Process(target=storage_worker, args=arguments) for arguments in args]
    for process in processes:
        process.start()
    rates = [float(results.get(timeout=seconds + 300)) for _ in processes]
    for process in processes:
        process.join()
    return sum(rates)


def run(report: Report, quick: bool) -> None:
    seconds = 15.0 if quick else 30.0
    sweep = (3,) if quick else (2, 3, 4, 8)
    factory = EventFactory(portal_id=62515, _ids=itertools.count(1))
    with stack(Servers(), database="postgresql") as the_stack:
        _service, url = the_stack.start_web(workers=WEB_WORKERS)
        warm = load(url, iter(bodies(factory, 20, seed=1)), 2, 60)  # the workers' first requests, not timed
        runs = []
        for concurrency in sweep:
            pending = iter(bodies(factory, int(seconds * 250), seed=concurrency + 10))  # more than can be posted
            runs.append(load(url, pending, concurrency, seconds))
        accepted = sum(r.accepted_events for r in (warm, *runs))
        stored = ledger_signals(the_stack.database_url)
        baseline = storage_rate(the_stack, 5.0 if quick else 10.0)
    within = [r for r in runs if r.percentile_ms(0.99) < 100] or runs
    best = max(within, key=lambda r: r.rate)
    refused = sum((r.statuses for r in (warm, *runs)), Counter[str]())
    del refused["204"]
    report.details[SECTION] = {
        "database": "postgresql",
        "web_workers": WEB_WORKERS,
        "batch_events": BATCH,
        "runs": [r.summary() for r in runs],
        "chosen_concurrency": best.concurrency,
        "events_accepted": accepted,
        "ledger_signals": stored,
        "lost_or_doubled": accepted - stored,
        "answers_not_204": dict(refused),
        "storage_events_per_second": round(baseline),
    }
    note = f"{BATCH}-event batches, {best.concurrency} concurrent clients, {WEB_WORKERS} gunicorn workers"
    if refused or accepted != stored:
        note += f"; {sum(refused.values())} answers not 204, ledger holds {stored:,} of {accepted:,} accepted"
    raw = "raw ledger insert + Redis marks"
    report.add(
        Figure(
            SECTION, "events accepted per second", best.rate, "/s", baseline, raw, Target("value", ">=", 5000), note
        ),
        Figure(SECTION, "batch response time p50", best.percentile_ms(0.5), "ms", note=note),
        Figure(SECTION, "batch response time p99", best.percentile_ms(0.99), "ms", target=Target("value", "<", 100)),
    )
