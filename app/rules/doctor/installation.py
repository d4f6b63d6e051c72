"""The installation's checks, pure: turn what the shell saw (Redis, the ledger, the workers, the answer of a
signed probe to PUBLIC_URL, the built project's webhooks) into findings that say what to do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.rules.app_project.webhooks import subscription_entry
from app.rules.doctor.findings import Finding, fail, ok, warn
from app.rules.subscriptions import WebhookSubscription

# RQ refreshes a worker's heartbeat while it works or waits; one much older than its TTL is a worker that died.
STALE_HEARTBEAT = timedelta(minutes=10)
START_WORKER = "start a worker: `leadflow worker` (the Procfile's worker process)"
# RQ's cron scheduler heartbeats about every minute and counts one silent for two minutes as gone.
STALE_CLOCK = timedelta(minutes=2)


@dataclass(frozen=True)
class WorkerSeen:
    """A worker registered in Redis for Leadflow's queue."""

    name: str
    state: str
    last_heartbeat: datetime | None


@dataclass(frozen=True)
class ClockSeen:
    """A clock process (RQ's cron scheduler) registered in Redis."""

    name: str
    last_heartbeat: datetime | None


@dataclass(frozen=True)
class ProbeAnswer:
    """What PUBLIC_URL answered to the signed probe: a status and the error name of its body, or why no answer."""

    status: int | None
    error: str | None = None  # the body's `error` (`signature-invalid`) or, without an answer, the reason


def redis_finding(outcome: str) -> Finding:
    if outcome == "ok":
        return ok("redis", "Redis answers")
    return fail("redis", f"Redis does not answer ({outcome})", "start Redis or fix REDIS_URL")


def ledger_findings(answers: str, current: str) -> list[Finding]:
    """`answers`: ok or why the ledger does not answer; `current`: ok or why its schema is not current."""
    if answers != "ok":
        return [fail("ledger", f"the ledger does not answer ({answers})", "start the database or fix DATABASE_URL")]
    if current != "ok":
        return [
            fail(
                "ledger",
                f"the ledger's schema is {current}",
                "restart a Leadflow process of the newest release: it migrates when it starts",
            )
        ]
    return [ok("ledger", "the ledger answers and its schema is current")]


def worker_findings(queue: str, workers: Sequence[WorkerSeen], now: datetime) -> list[Finding]:
    """Fail without a live worker on `queue`; warn about registered workers whose heartbeat stopped."""
    live = [w for w in workers if w.last_heartbeat is not None and now - w.last_heartbeat <= STALE_HEARTBEAT]
    stale = [
        warn(
            "workers",
            f"worker {w.name} has sent no heartbeat for over {STALE_HEARTBEAT}",
            "it died or hangs: restart it (RQ forgets it once its key expires)",
        )
        for w in workers
        if w not in live
    ]
    if not live:
        return [fail("workers", f"no worker is listening on the queue {queue!r}", START_WORKER), *stale]
    return [ok("workers", f"{len(live)} worker(s) listening on the queue {queue!r}"), *stale]


def clock_finding(clocks: Sequence[ClockSeen], now: datetime) -> Finding:
    """Exactly one clock must run: none runs no periodic job, two run each twice (RQ's cron holds no lock)."""
    live = [c for c in clocks if c.last_heartbeat is not None and now - c.last_heartbeat <= STALE_CLOCK]
    if not live:
        return fail("clock", "no clock process is running: reconcile, decay, SLA, nurture and retention never run",
                    "start exactly one `leadflow clock` (the Procfile's clock, with TZ=UTC)")  # fmt: skip
    if len(live) > 1:
        names = ", ".join(sorted(c.name for c in live))
        return fail("clock", f"{len(live)} clock processes are running ({names}): each enqueues every periodic job",
                    "stop all but one: `rq cron` holds no lock")  # fmt: skip
    return ok("clock", f"one clock process is running ({live[0].name})")


def probe_finding(url: str | None, answer: ProbeAnswer | None) -> Finding:
    """Judge the signed probe: PUBLIC_URL must acknowledge an empty batch signed with HUBSPOT_CLIENT_SECRET."""
    if url is None:
        return fail(
            "public url",
            "PUBLIC_URL is not set: HubSpot's webhooks reach Leadflow there",
            "set PUBLIC_URL to the https URL of the web process",
        )
    if answer is None:
        return fail(
            "public url",
            "HUBSPOT_CLIENT_SECRET is not set: no signature can be checked",
            "set HUBSPOT_CLIENT_SECRET from the app's Auth page",
        )
    if answer.status is None:
        return fail(
            "public url",
            f"{url} does not answer ({answer.error})",
            "start the web process, or fix PUBLIC_URL (and the proxy in front of it)",
        )
    if answer.status == 204:
        return ok("public url", f"{url} accepted a request signed with HUBSPOT_CLIENT_SECRET (204)")
    if answer.status == 401:
        return fail(
            "public url",
            f"{url} refused the signature ({answer.error or 401})",
            "the web process's HUBSPOT_CLIENT_SECRET differs from this one, or PUBLIC_URL is not the URL "
            "it is called at: copy the client secret from the app's Auth page into every process",
        )
    return fail(
        "public url",
        f"{url} answered {answer.status} ({answer.error or 'no error name'}) to a signed probe",
        "PUBLIC_URL must reach Leadflow's web process; check its logs and the proxy",
    )


def subscription_findings(required: Sequence[WebhookSubscription], project: Mapping[str, Any] | None) -> list[Finding]:
    """Compare the built project's webhooks component (`config` of webhooks-hsmeta.json) with what is needed."""
    if project is None:
        return [
            warn(
                "subscriptions",
                "not checked: HubSpot's API reads no private app's subscriptions with its token",
                "pass --project DIR (the `leadflow app build` output you uploaded) to compare them",
            )
        ]
    held = {_key(array, entry) for array, entries in _arrays(project).items() for entry in entries}
    wanted = {_key(*subscription_entry(subscription)): subscription for subscription in required}
    found = [
        fail(
            "subscriptions",
            f"the project lacks the subscription {subscription.describe()}",
            "rebuild and upload the project: `leadflow app build`, then `hs project upload`",
        )
        for key, subscription in wanted.items()
        if key not in held
    ]
    extra = sorted(held - set(wanted))
    if extra:
        names = ", ".join(key[1] + (f" ({key[2] or key[3]})" if key[2] or key[3] else "") for key in extra)
        found.append(
            warn(
                "subscriptions",
                f"the project holds subscriptions Leadflow does not need: {names}",
                "rebuild the project so HubSpot sends only what Leadflow reads",
            )
        )
    return found or [ok("subscriptions", f"the project holds all {len(wanted)} subscriptions Leadflow needs")]


def _arrays(project: Mapping[str, Any]) -> dict[str, list[Mapping[str, Any]]]:
    subscriptions = project.get("subscriptions")
    if not isinstance(subscriptions, Mapping):
        return {}
    return {
        name: [e for e in entries if isinstance(e, Mapping)]
        for name, entries in subscriptions.items()
        if isinstance(entries, list)
    }


def _key(array: str, entry: Mapping[str, Any]) -> tuple[str, str, str, str]:
    return (
        array,
        str(entry.get("subscriptionType")),
        str(entry.get("objectType") or ""),
        str(entry.get("propertyName") or ""),
    )
