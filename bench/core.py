"""Core: the CPU assessing takes per contact, against the time HubSpot's rate limit gives each contact.

The drain's own work per contact: `assess()` of the contact, its primary company and its engagement events
(compiled rules, decay, caps, grades, stages and the reasons text). One process, one thread: one core.

Assessing must never be what holds a drain back: HubSpot's rate limit is. So the figure is judged as a ratio to
the HubSpot time per contact of the same contacts: the fewest requests scoring them can take (batches of 100
contacts read, 100 of their companies read, 100 contacts written) at the portal's limit of 190 requests per ten
seconds. A ratio of 0.1 means one core spends a tenth of that time assessing. Assessments per second are shown too,
for information: that number says as much about the machine as about the code.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

from app.rules import assess, load_scoring_model, render_reasons
from bench.env import PROFESSIONAL_LIMIT, ROOT
from bench.portal import SyntheticPortal, engagement_history, scoring_floor, synthetic_portal
from bench.report import Figure, Report, Target

SECTION = "core"
WINDOW_SECONDS = 10.0  # HubSpot's rolling rate-limit window
# At most this share of the HubSpot time per contact may go to assessing it on one core: a drain that waits on
# HubSpot's limit then takes at most a tenth longer for its assessments, inside the 15 % over the rate-limit floor
# that the re-score's target allows (which its JSON, SDK, ledger and Redis work share).
SHARE_OF_HUBSPOT_TIME = 0.1


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
        assess(model, contact, company, history, now)
    started = time.process_time()
    wall = time.perf_counter()
    for contact, company, history in inputs:
        render_reasons(assess(model, contact, company, history, now).reasons)
    cpu = time.process_time() - started
    wall = time.perf_counter() - wall
    hubspot = hubspot_seconds_per_contact(portal)
    report.details[SECTION] = {
        "contacts": count,
        "events": sum(len(h) for h in events),
        "cpu_seconds": round(cpu, 3),
        "wall_seconds": round(wall, 3),
        "hubspot_requests_floor": floor_requests(portal),
        "rate_limit": f"{PROFESSIONAL_LIMIT} requests / {WINDOW_SECONDS:g} s",
        "model": model.model,
    }
    note = f"{count:,} contacts, default model, with reasons rendered"
    report.add(
        Figure(SECTION, "assessment CPU per contact", cpu / count * 1e6, "µs", hubspot * 1e6,
               f"HubSpot time per contact at {PROFESSIONAL_LIMIT}/10 s", Target("ratio", "<=", SHARE_OF_HUBSPOT_TIME),
               note=note),
        Figure(SECTION, "assessments per second per core", count / cpu, "/s", note="for information: machine-bound"),
    )  # fmt: skip


def floor_requests(portal: SyntheticPortal) -> int:
    """The fewest HubSpot requests scoring every contact of `portal` can take (each one written)."""
    companies = len({at for at in portal.company_of if at is not None})
    return scoring_floor(len(portal.contacts), companies, len(portal.contacts))


def hubspot_seconds_per_contact(portal: SyntheticPortal, limit: int = PROFESSIONAL_LIMIT) -> float:
    """The time HubSpot's rate limit gives each contact of `portal`: its share of the floor's requests at `limit`."""
    return floor_requests(portal) * WINDOW_SECONDS / limit / len(portal.contacts)
