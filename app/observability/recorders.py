"""What each part of Leadflow records: webhook requests, jobs, drains, and every HTTP attempt to HubSpot."""

from __future__ import annotations

import re

from app.observability.catalog import (
    DRAINED_CONTACTS,
    HANDOVERS,
    HUBSPOT_DURATION,
    HUBSPOT_RATE_LIMITED,
    HUBSPOT_REQUESTS,
    JOB_DURATION,
    JOBS,
    SIGNALS_PROCESSED,
    WEBHOOK_REQUESTS,
    WEBHOOK_TO_WRITE,
)
from app.observability.metrics import Metrics
from app.sync.pipeline import DrainReport
from app.sync.resolve import ResolveReport

ACCEPTED = "accepted"
POLICY_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,39}")  # HubSpot's policy names: TEN_SECONDLY_ROLLING, DAILY, …


class WebhookRequestRecorder:
    """Counts a webhook request as accepted, or rejected with its reason (signature, body, size, ledger)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def __call__(self, outcome: str) -> None:
        if outcome == ACCEPTED:
            self.metrics.add(WEBHOOK_REQUESTS, result=ACCEPTED, reason="none")
        else:
            self.metrics.add(WEBHOOK_REQUESTS, result="rejected", reason=outcome)


class HubSpotCallRecorder:
    """The HubSpot gateway's observer: counts each HTTP attempt by operation and status, and times it."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def __call__(self, operation: str, status: int | None, seconds: float) -> None:
        self.metrics.send(
            self.metrics.count(HUBSPOT_REQUESTS, operation=operation, status="none" if status is None else str(status)),
            self.metrics.observation(HUBSPOT_DURATION, [max(seconds, 0.0)], operation=operation),
        )


class RateLimitRecorder:
    """Counts a 429 by the policy HubSpot named in its body (`policyName`), or `unknown`."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def __call__(self, policy: str | None) -> None:
        name = policy if policy and POLICY_NAME.fullmatch(policy) else "unknown"
        self.metrics.add(HUBSPOT_RATE_LIMITED, policy=name)


def record_job(metrics: Metrics, job: str, seconds: float, ok: bool) -> None:
    """Count a job run and record how long it took."""
    metrics.send(
        metrics.count(JOBS, job=job, result="ok" if ok else "failed"),
        metrics.observation(JOB_DURATION, [seconds], job=job),
    )


def record_drain(metrics: Metrics, report: DrainReport) -> None:
    """Count what a drain did with its contacts and signals, and how long its writes took to follow the webhooks."""
    outcomes = {"written": report.written, "unchanged": report.unchanged, "refused": report.refused}
    outcomes["missing"] = report.missing
    metrics.send(
        *(metrics.count(DRAINED_CONTACTS, amount, outcome=outcome) for outcome, amount in outcomes.items()),
        metrics.count(HANDOVERS, report.effects.get("handovers", 0)),
        metrics.count(SIGNALS_PROCESSED, report.signals_processed, job="drain"),
        metrics.observation(WEBHOOK_TO_WRITE, report.write_latencies),
    )


def record_resolve(metrics: Metrics, resolved: int) -> None:
    """Count the signals the resolver attached to their contacts."""
    metrics.add(SIGNALS_PROCESSED, resolved, job="resolve")


def record_report(metrics: Metrics, report: object) -> None:
    """Record what a job's report says, for the reports that have metrics of their own."""
    if isinstance(report, DrainReport):
        record_drain(metrics, report)
    elif isinstance(report, ResolveReport):
        record_resolve(metrics, report.resolved)
