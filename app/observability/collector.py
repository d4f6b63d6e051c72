"""The Prometheus collector behind `/metrics`: reads the counters from Redis and the gauges at scrape time.

A source that does not answer leaves its metrics out of the scrape and shows as
`leadflow_metrics_source_up{source="redis"|"ledger"} 0`, so one outage never hides the other's metrics.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.utils import floatToGoString
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy.exc import SQLAlchemyError

from app.ledger.store import Ledger
from app.observability.catalog import COUNTERS, HISTOGRAMS
from app.observability.metrics import CounterSpec, HistogramSpec, Metrics, counter_series, histogram_series
from app.worklist import Worklist

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScrapeSources:
    """Where the scrape reads: the recorded metrics, the queue, the worklist (and its event counts), the ledger."""

    metrics: Metrics
    queue: Queue
    worklist: Worklist
    ledger: Ledger


class LeadflowCollector:
    """Collects Leadflow's metrics for `prometheus_client`'s exposition (`generate_latest(collector)`)."""

    def __init__(self, sources: ScrapeSources) -> None:
        self.sources = sources

    def collect(self) -> Iterable[Metric]:
        families: list[Metric] = []
        up = GaugeMetricFamily(
            "leadflow_metrics_source_up", "Whether the scrape could read the source.", labels=["source"]
        )
        for source, read in (("redis", self._from_redis), ("ledger", self._from_ledger)):
            up.add_metric([source], 1.0 if _gather(source, read, families) else 0.0)
        return [*families, up]

    def _from_redis(self) -> Iterator[Metric]:
        raw = self.sources.metrics.read([*COUNTERS, *HISTOGRAMS])
        yield from (_counter(spec, raw[spec.name]) for spec in COUNTERS)
        yield from (_histogram(spec, raw[spec.name]) for spec in HISTOGRAMS)
        yield from _webhook_events(self.sources.worklist.event_counts())
        yield _queue_jobs(self.sources.queue)
        worklist = self.sources.worklist
        contacts = GaugeMetricFamily(
            "leadflow_worklist_contacts",
            "Contacts waiting for a drain (dirty) or being drained (claimed).",
            labels=["state"],
        )
        contacts.add_metric(["dirty"], worklist.dirty_count())
        contacts.add_metric(["claimed"], worklist.claimed_count())
        yield contacts

    def _from_ledger(self) -> Iterator[Metric]:
        counts = self.sources.ledger.counts()
        yield GaugeMetricFamily(
            "leadflow_ledger_unprocessed_signals",
            "Signals stored in the ledger and not yet reflected in HubSpot (or resolved to their contacts).",
            value=counts.pending_signals,
        )
        yield GaugeMetricFamily(
            "leadflow_ledger_quarantined_events",
            "Webhook events set aside for their shape and not replayed (`leadflow quarantine` lists them).",
            value=counts.quarantined,
        )


def _gather(source: str, read: Callable[[], Iterable[Metric]], families: list[Metric]) -> bool:
    try:
        found = list(read())
    except (RedisError, SQLAlchemyError, OSError) as exc:
        logger.warning("metrics.source-unavailable", extra={"source": source, "error": type(exc).__name__})
        return False
    families.extend(found)
    return True


def _counter(spec: CounterSpec, raw: Mapping[str, str]) -> Metric:
    family = CounterMetricFamily(spec.name, spec.help, labels=list(spec.labels))
    series = counter_series(raw)
    if not spec.labels and not series:
        series = {(): 0.0}
    for labels, value in sorted(series.items()):
        family.add_metric(list(labels), value)
    return family


def _histogram(spec: HistogramSpec, raw: Mapping[str, str]) -> Metric:
    family = HistogramMetricFamily(spec.name, spec.help, labels=list(spec.labels))
    bounds = [*map(floatToGoString, spec.buckets), "+Inf"]
    for labels, series in sorted(histogram_series(spec, raw).items()):
        cumulative, buckets = 0, []
        for bound, count in zip(bounds, series.buckets, strict=True):
            cumulative += count
            buckets.append((bound, float(cumulative)))
        family.add_metric(list(labels), buckets, series.sum)
    return family


def _webhook_events(counts: Mapping[str, int]) -> Iterator[Metric]:
    """Expose the intake's event statistics (`outcome:type`, `duplicate`, `stored`) as counters."""
    events = CounterMetricFamily(
        "leadflow_webhook_events",
        "Events of accepted webhook requests, by outcome (accepted, echo, ignored, forgotten, quarantined) and "
        "subscription type (`other` for a quarantined event of no supported type).",
        labels=["outcome", "subscription_type"],
    )
    for field, value in sorted(counts.items()):
        outcome, separator, subscription_type = field.partition(":")
        if separator:
            events.add_metric([outcome, subscription_type], value)
    yield events
    yield CounterMetricFamily(
        "leadflow_webhook_duplicate_events",
        "Events the ledger already held (redelivered).",
        value=counts.get("duplicate", 0),
    )
    yield CounterMetricFamily(
        "leadflow_signals_stored", "Signals the webhook intake stored in the ledger.", value=counts.get("stored", 0)
    )


def _queue_jobs(queue: Queue) -> Metric:
    family = GaugeMetricFamily("leadflow_queue_jobs", "RQ jobs by queue and state.", labels=["queue", "state"])
    registries = {
        "failed": queue.failed_job_registry,
        "started": queue.started_job_registry,
        "scheduled": queue.scheduled_job_registry,
    }
    family.add_metric([queue.name, "queued"], queue.count)
    for state, registry in registries.items():
        family.add_metric([queue.name, state], int(registry.get_job_count(cleanup=False)))
    return family
