"""Every metric Leadflow records in Redis, with its labels and, for histograms, its buckets.

Webhook event outcomes are not here: the intake counts them in the worklist's statistics hash
(`Worklist.count_events`), and the collector exposes that hash as `leadflow_webhook_events_total` and friends.
The gauges (queue depth, dirty contacts, unprocessed signals) are read at scrape time by the collector.
"""

from __future__ import annotations

from app.observability.metrics import CounterSpec, HistogramSpec

JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)
HTTP_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
LATENCY_BUCKETS = (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 14_400.0, 86_400.0)

WEBHOOK_REQUESTS = CounterSpec(
    "leadflow_webhook_requests",
    "Webhook requests received, by result (accepted, rejected) and rejection reason (signature, body, size, "
    "ledger; none when accepted).",
    ("result", "reason"),
)
JOBS = CounterSpec(
    "leadflow_jobs", "RQ jobs run, by job (drain, resolve, reconcile) and result (ok, failed).", ("job", "result")
)
JOB_DURATION = HistogramSpec(
    "leadflow_job_duration_seconds",
    "How long RQ jobs ran, by job; the drain's includes its debounce.",
    JOB_BUCKETS,
    ("job",),
)
SIGNALS_PROCESSED = CounterSpec(
    "leadflow_signals_processed",
    "Signals marked processed, by the job that processed them (drain: reflected in HubSpot; resolve: attached "
    "to their contacts).",
    ("job",),
)
DRAINED_CONTACTS = CounterSpec(
    "leadflow_drained_contacts",
    "Contacts the drain worked on, by outcome (written, unchanged, refused by HubSpot, missing from HubSpot).",
    ("outcome",),
)
HANDOVERS = CounterSpec("leadflow_handovers", "Handovers to sales completed by the drain (owner, task, deal).")
WEBHOOK_TO_WRITE = HistogramSpec(
    "leadflow_webhook_to_write_seconds",
    "From the oldest unprocessed signal of a contact reaching Leadflow to its scores being written to HubSpot.",
    LATENCY_BUCKETS,
)
HUBSPOT_REQUESTS = CounterSpec(
    "leadflow_hubspot_requests",
    "HTTP requests to HubSpot (every attempt), by operation and status (none: no answer, e.g. a timeout).",
    ("operation", "status"),
)
HUBSPOT_DURATION = HistogramSpec(
    "leadflow_hubspot_request_duration_seconds",
    "How long HubSpot took to answer, by operation.",
    HTTP_BUCKETS,
    ("operation",),
)
HUBSPOT_RATE_LIMITED = CounterSpec(
    "leadflow_hubspot_rate_limited",
    "429 answers from HubSpot, by the policy HubSpot named (TEN_SECONDLY_ROLLING, SECONDLY, DAILY, unknown).",
    ("policy",),
)

COUNTERS = (
    WEBHOOK_REQUESTS,
    JOBS,
    SIGNALS_PROCESSED,
    DRAINED_CONTACTS,
    HANDOVERS,
    HUBSPOT_REQUESTS,
    HUBSPOT_RATE_LIMITED,
)
HISTOGRAMS = (JOB_DURATION, WEBHOOK_TO_WRITE, HUBSPOT_DURATION)
