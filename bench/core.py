"""Core: the CPU assessing takes per contact, against CPU work measured beside it in the same run.

The drain's own work per contact: `assess_over_time()` of the contact, its primary company and its engagement
events (compiled rules, decay, caps, grades, stages and the reasons text, and `next_change_at`, the moment the
values would change by time alone). One process, one thread: one core.

The judged figure is a ratio of two CPU times measured in the same process, so the machine's speed cancels out
(the same code gave 10,200 and 4,100 assessments per second on two of our machines): assessing a contact against
the official HubSpot SDK turning the same contact, as HubSpot's batch read returns it, into its objects — work
every drain does per contact anyway. Assessing may cost at most 1.5 times that.

For information: the same CPU time against the HubSpot time per contact, the fewest requests scoring the contacts
can take (batches of 100 contacts read, 100 of their companies read, 100 contacts written) at the portal's limit
of 190 requests per ten seconds (a wall-clock budget, so this ratio still depends on the machine), and
assessments per second.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime
from types import SimpleNamespace

from hubspot.crm.contacts import ApiClient

from app.rules import assess_over_time, load_scoring_model, render_reasons
from bench.env import PROFESSIONAL_LIMIT, ROOT
from bench.portal import SyntheticPortal, engagement_history, scoring_floor, synthetic_portal
from bench.report import Figure, Report, Target

SECTION = "core"
WINDOW_SECONDS = 10.0  # HubSpot's rolling rate-limit window
# Assessing a contact may cost at most this many times the CPU the SDK spends reading it.
TIMES_THE_SDK_READ = 1.5


def run(report: Report, quick: bool) -> None:
    model = load_scoring_model(ROOT / "config" / "scoring.yaml")
    count = 20_000 if quick else 100_000
    portal = synthetic_portal(count, max(1, count // 5))
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    rng = random.Random(11)
    events = [engagement_history(model.event_types, now, rng) for _ in range(count)]
    inputs = [
        (contact, portal.companies[at] if at is not None else {}, history)
        for contact, at, history in zip(portal.contacts, portal.company_of, events, strict=True)
    ]
    for contact, company, history in inputs[:200]:  # warm up: rule compilation caches, imports
        assess_over_time(model, contact, company, history, now)
    started = time.process_time()
    wall = time.perf_counter()
    for contact, company, history in inputs:
        render_reasons(assess_over_time(model, contact, company, history, now).assessment.reasons)
    cpu = time.process_time() - started
    wall = time.perf_counter() - wall
    hubspot = hubspot_seconds_per_contact(portal)
    sdk = sdk_read_seconds(portal.contacts)
    report.details[SECTION] = {
        "contacts": count,
        "events": sum(len(h) for h in events),
        "cpu_seconds": round(cpu, 3),
        "sdk_read_cpu_seconds": round(sdk * count, 3),
        "wall_seconds": round(wall, 3),
        "hubspot_requests_floor": floor_requests(portal),
        "rate_limit": f"{PROFESSIONAL_LIMIT} requests / {WINDOW_SECONDS:g} s",
        "model": model.model,
    }
    note = f"{count:,} contacts, default model, with reasons rendered and next_change_at"
    report.add(
        Figure(SECTION, "assessment CPU per contact", cpu / count * 1e6, "µs", sdk * 1e6,
               "the SDK reading the contact, same run", Target("ratio", "<=", TIMES_THE_SDK_READ), note=note),
        Figure(SECTION, "assessment CPU ÷ HubSpot time per contact", cpu / count * 1e6, "µs", hubspot * 1e6,
               f"HubSpot time per contact at {PROFESSIONAL_LIMIT}/10 s", note="information: wall-time budget"),
        Figure(SECTION, "assessments per second per core", count / cpu, "/s", note="for information: machine-bound"),
    )  # fmt: skip


def floor_requests(portal: SyntheticPortal) -> int:
    """The fewest HubSpot requests scoring every contact of `portal` can take (each one written)."""
    companies = len({at for at in portal.company_of if at is not None})
    return scoring_floor(len(portal.contacts), companies, len(portal.contacts))


def hubspot_seconds_per_contact(portal: SyntheticPortal, limit: int = PROFESSIONAL_LIMIT) -> float:
    """The time HubSpot's rate limit gives each contact of `portal`: its share of the floor's requests at `limit`."""
    return floor_requests(portal) * WINDOW_SECONDS / limit / len(portal.contacts)


def sdk_read_seconds(contacts: list[dict[str, str]], batch: int = 100) -> float:
    """The CPU seconds per contact the official SDK takes to turn HubSpot's batch-read answer for these contacts
    (their JSON, with HubSpot's time stamps) into its objects, as every drain's read does."""
    client = ApiClient()
    bodies = [_batch_read_body(contacts[start : start + batch], start) for start in range(0, len(contacts), batch)]
    for body in bodies[:5]:  # warm up
        client.deserialize(SimpleNamespace(data=body), "BatchResponseSimplePublicObject")
    started = time.process_time()
    for body in bodies:
        client.deserialize(SimpleNamespace(data=body), "BatchResponseSimplePublicObject")
    return (time.process_time() - started) / len(contacts)


def _batch_read_body(contacts: list[dict[str, str]], first_id: int) -> bytes:
    stamp = {"createdAt": "2026-11-01T10:00:00.000Z", "updatedAt": "2026-11-20T10:00:00.000Z", "archived": False}
    results = [{"id": str(first_id + n + 1), "properties": dict(c), **stamp} for n, c in enumerate(contacts)]
    times = {"startedAt": "2026-11-26T12:00:00.000Z", "completedAt": "2026-11-26T12:00:00.100Z"}
    return json.dumps({"status": "COMPLETE", "results": results, **times}).encode()
