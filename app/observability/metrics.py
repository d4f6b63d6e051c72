"""Counters and histograms kept in Redis, so every process on every machine counts into one place.

gunicorn's workers, RQ's forked work-horses and workers on other machines each record into the same hashes; the
web app's `/metrics` reads them at scrape time (`app.observability.collector`). Each metric is one Redis hash,
`<prefix>:metrics:<name>`:

- a counter's fields are its label values (a JSON list), incremented with HINCRBY;
- a histogram's fields are `<label values>|<upper bound>`, the observations that fell in that bucket (not
  cumulative; `+Inf` holds those above the last bound), and `<label values>|sum` (HINCRBYFLOAT). Its count is
  the sum of its buckets, so a scrape never sees the two disagree. Changing a histogram's buckets needs its
  hash deleted.

Labels stay low-cardinality (job names, operations, statuses, outcomes), never ids. Recording never fails the
work it counts: when Redis does not answer, the change is dropped and a warning logged.
"""

from __future__ import annotations

import json
import logging
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

INF = "+Inf"
MAX_LABEL_LENGTH = 100


@dataclass(frozen=True)
class CounterSpec:
    name: str  # without the `_total` the exposition adds
    help: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistogramSpec:
    name: str
    help: str
    buckets: tuple[float, ...]  # upper bounds, ascending
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """Add `amount` to one field of one hash (HINCRBY for an int, HINCRBYFLOAT for a float)."""

    key: str
    field: str
    amount: int | float


@dataclass(frozen=True)
class HistogramSeries:
    buckets: tuple[int, ...]  # observations per bucket, the last one `+Inf`; not cumulative
    sum: float


class Metrics:
    """Records counters and histograms in Redis hashes under `<prefix>:metrics:`, and reads them back."""

    def __init__(self, redis: Redis, prefix: str = "leadflow") -> None:
        self.redis = redis
        self.prefix = prefix

    def key(self, spec: CounterSpec | HistogramSpec) -> str:
        return f"{self.prefix}:metrics:{spec.name}"

    def count(self, spec: CounterSpec, amount: int = 1, **labels: str) -> list[Change]:
        """Return the change that adds `amount` to the counter's series with these labels."""
        return [Change(self.key(spec), label_field(spec.labels, labels), amount)] if amount else []

    def observation(self, spec: HistogramSpec, values: Iterable[float], **labels: str) -> list[Change]:
        """Return the changes that add `values` to the histogram's series with these labels."""
        series = label_field(spec.labels, labels)
        values = list(values)
        buckets = Counter(_bound(spec.buckets, value) for value in values)
        changes = [Change(self.key(spec), f"{series}|{bound}", amount) for bound, amount in buckets.items()]
        return [*changes, Change(self.key(spec), f"{series}|sum", float(sum(values)))] if values else []

    def add(self, spec: CounterSpec, amount: int = 1, **labels: str) -> None:
        """Add `amount` to the counter (best effort)."""
        self.send(self.count(spec, amount, **labels))

    def observe(self, spec: HistogramSpec, *values: float, **labels: str) -> None:
        """Record observations in the histogram (best effort)."""
        self.send(self.observation(spec, values, **labels))

    def send(self, *changes: Iterable[Change]) -> None:
        """Apply the changes in one round trip; drop them (with a warning) when Redis does not answer."""
        totals: dict[tuple[str, str], int | float] = {}
        for change in (change for batch in changes for change in batch):
            totals[(change.key, change.field)] = totals.get((change.key, change.field), 0) + change.amount
        if not totals:
            return
        pipeline = self.redis.pipeline(transaction=False)
        for (key, field), amount in totals.items():
            if isinstance(amount, int):
                pipeline.hincrby(key, field, amount)
            else:
                pipeline.hincrbyfloat(key, field, amount)
        try:
            pipeline.execute()
        except RedisError as exc:
            logger.warning("metrics.unrecorded", extra={"error": type(exc).__name__, "changes": len(totals)})

    def read(self, specs: Iterable[CounterSpec | HistogramSpec]) -> dict[str, dict[str, str]]:
        """Return the raw hashes of these metrics, by metric name, in one round trip (raises `RedisError`)."""
        specs = list(specs)
        pipeline = self.redis.pipeline(transaction=False)
        for spec in specs:
            pipeline.hgetall(self.key(spec))
        hashes: list[dict[Any, Any]] = pipeline.execute()
        return {
            spec.name: {_text(k): _text(v) for k, v in raw.items()} for spec, raw in zip(specs, hashes, strict=True)
        }


def label_field(names: tuple[str, ...], labels: Mapping[str, str]) -> str:
    """Return the hash field of a series: its label values, in the spec's order, as a JSON list."""
    if set(labels) != set(names):
        raise ValueError(f"labels {sorted(labels)} do not match the metric's {sorted(names)}")
    return json.dumps([str(labels[name])[:MAX_LABEL_LENGTH] for name in names], separators=(",", ":"))


def counter_series(raw: Mapping[str, str]) -> dict[tuple[str, ...], float]:
    """Return a counter's value by label values, from its raw hash."""
    return {tuple(json.loads(field)): float(value) for field, value in raw.items()}


def histogram_series(spec: HistogramSpec, raw: Mapping[str, str]) -> dict[tuple[str, ...], HistogramSeries]:
    """Return a histogram's buckets and sum by label values, from its raw hash (unknown bounds are ignored)."""
    bounds = [*map(_bound_name, spec.buckets), INF]
    fields: dict[str, dict[str, str]] = {}
    for field, value in raw.items():
        series, _, part = field.rpartition("|")
        fields.setdefault(series, {})[part] = value
    return {
        tuple(json.loads(series)): HistogramSeries(
            buckets=tuple(int(float(parts.get(bound, 0))) for bound in bounds),
            sum=float(parts.get("sum", 0)),
        )
        for series, parts in fields.items()
    }


def _bound(buckets: tuple[float, ...], value: float) -> str:
    """Return the name of the smallest bucket bound at or above `value`."""
    index = bisect_left(buckets, value)
    return _bound_name(buckets[index]) if index < len(buckets) else INF


def _bound_name(bound: float) -> str:
    return repr(float(bound))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
