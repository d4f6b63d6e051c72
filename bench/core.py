"""Core: assessments per second on one core, for the default model (config/scoring.yaml).

The drain's own work per contact: `assess()` of the contact, its primary company and its engagement events
(compiled rules, decay, caps, grades, stages and the reasons text). One process, one thread: one core.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

from app.rules import assess, load_scoring_model, render_reasons
from bench.env import ROOT
from bench.portal import engagement_history, synthetic_portal
from bench.report import Figure, Report, Target

SECTION = "core"


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
    rate = count / cpu
    report.details[SECTION] = {
        "contacts": count,
        "events": sum(len(h) for h in events),
        "cpu_seconds": round(cpu, 3),
        "wall_seconds": round(wall, 3),
        "model": model.model,
    }
    note = f"{count:,} contacts, default model, with reasons rendered"
    target = Target("value", ">=", 5000)
    report.add(Figure(SECTION, "assessments per second per core", rate, "/s", target=target, note=note))
