"""Backtest: `leadflow backtest --model candidate.yaml` over a year of a portal, at HubSpot's limits.

The portal: N contacts (quick: 10,000; full: 100,000) at N / 5 companies, created evenly over the year before the
bench's `now`, each with a year of engagements in the ledger (about 5.5 events on average, from its creation on),
and in the twin the values a backtest reads with their property histories: every value dated at the contact's
creation, and for three contacts in ten a buying role set later (a second version). One contact in twelve was
handed over in reality (bench/kpi_ledger.py's lead cycles: accepted or rejected, some with deals), so the outcomes
are counted too. The twin is seeded in this process with its clock set back to each moment (no webhooks); the
ledger is written by bulk inserts into a fresh PostgreSQL schema; `leadflow setup` records the portal's types.

The candidate is the shipped model with a shorter half-life (60 days) and a lower MQL bar (engagement ≥ 10).
`leadflow backtest --model … --to now --json` runs as a subprocess against the twin over HTTP with HubSpot's
Professional limits, its memory sampled every 100 ms.

Figures, each beside a baseline measured in the same run:
- wall time against the rate-limit floor: the fewest requests the reads can take (contacts 100 and histories 50
  per request, companies the same) at 190 per rolling 10 s;
- CPU per contact of the whole backtest (its process and its workers: reads, replay, report) against assessing
  the contact once under each model at `now`, the least a backtest of two models could do;
- the replay alone (both models, a sample of 1,000 contacts in this process) against the same baseline;
- peak memory (PSS of the backtest's processes) against the same backtest of a portal a fifth the size: the run
  streams pages, so only the report's per-contact lists grow with the portal.
"""

from __future__ import annotations

import json
import math
import random
import re
import resource
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, insert

from app.ledger.models import CONTACT_STATE, ENGAGEMENTS, HANDOVERS, TRANSITIONS
from app.rules import EngagementEvent, ScoringModel, assess, load_scoring_model
from app.rules.calibration.replay import ReplayContact, Version, Versions, replay_contact
from bench.env import BIN, PROFESSIONAL_LIMIT, ROOT, Servers, Stack, stack
from bench.kpi_ledger import OWNERS, lead_cycle
from bench.live import run_setup
from bench.portal import synthetic_portal
from bench.report import Figure, Report, Target
from bench.rescore import MemorySampler
from hubspot_twin.http.guard import GuardConfig

SECTION = "backtest"
DAYS = 365
MEAN_EVENTS = 6.0
ROLE_CHANGES = 0.3  # contacts whose buying role is set after their creation
HANDED_OVER_EVERY = 12  # one contact in so many was handed over in reality
SAMPLE = 1000  # contacts replayed in this process, for the replay's own CPU
CHUNK = 5000
WINDOW = 10.0
FLOOR_PER_REQUEST = {"read": 100, "history": 50}  # records per request: batch read, propertiesWithHistory
MEMORY_GROWTH = 1.5  # peak memory at N contacts against N / 5: the pages in flight, plus the report's lists
ROLES = ("DECISION_MAKER", "BUDGET_HOLDER", "INFLUENCER", "END_USER")


class SettableClock:
    """The twin's clock: the moment set while seeding a year back, the real time otherwise."""

    def __init__(self) -> None:
        self.moment: datetime | None = None

    def __call__(self) -> datetime:
        return self.moment or datetime.now(UTC)


@dataclass
class YearOfPortal:
    """What the bench generates: contacts with their creation, events and later role, and their companies."""

    now: datetime
    contacts: list[dict[str, str]]
    companies: list[dict[str, str]]
    company_of: list[int | None]
    created: list[datetime]
    events: list[list[EngagementEvent]]
    role_set_at: list[datetime | None]
    role: list[str]

    @property
    def size(self) -> int:
        return len(self.contacts)


def year_of_portal(count: int, now: datetime, event_types: Sequence[str], seed: int = 5) -> YearOfPortal:
    """`count` contacts created evenly over the year before `now`, with their engagements and role changes."""
    rng = random.Random(seed)
    portal = synthetic_portal(count, max(1, count // 5), seed)
    start = now - timedelta(days=DAYS)
    step = timedelta(days=DAYS - 1) / max(1, count)
    created = [start + step * n for n in range(count)]
    events, role_set_at, roles = [], [], []
    for contact, born in zip(portal.contacts, created, strict=True):
        span = (now - born).total_seconds()
        number = min(int(rng.expovariate(1 / MEAN_EVENTS)), 60)
        moments = sorted(born + timedelta(seconds=rng.uniform(0, span)) for _ in range(number))
        events.append([EngagementEvent(rng.choice(event_types), moment) for moment in moments])
        later = born + timedelta(days=rng.uniform(1, 60)) if rng.random() < ROLE_CHANGES else None
        role_set_at.append(later if later is not None and later < now else None)
        roles.append(rng.choice(ROLES))
        if role_set_at[-1] is not None:
            contact["hs_buying_role"] = ""
    return YearOfPortal(now, portal.contacts, portal.companies, portal.company_of, created, events, role_set_at, roles)


# Seeding ------------------------------------------------------------------------------------------------------


def seed_twin(stack_: Stack, clock: SettableClock, portal: YearOfPortal) -> list[str]:
    """Create the companies (before the year) and the contacts day by day, each at its creation moment, and set
    the later buying roles at their moments: HubSpot's histories as they would be. Return the contacts' ids."""
    twin = stack_.twin
    try:
        clock.moment = portal.now - timedelta(days=DAYS + 30)
        company_ids = twin.bulk_create("companies", portal.companies)
        ids: list[str] = []
        for day in _days(portal):
            clock.moment = portal.created[day[0]]
            created = twin.bulk_create("contacts", [portal.contacts[n] for n in day])
            pairs = [
                (i, company_ids[index])
                for i, n in zip(created, day, strict=True)
                if (index := portal.company_of[n]) is not None
            ]
            twin.bulk_associate_primary(pairs)
            ids += created
        changes = sorted((moment, n) for n, moment in enumerate(portal.role_set_at) if moment is not None)
        for moment, n in changes:
            clock.moment = moment
            twin.update_object("contacts", ids[n], {"hs_buying_role": portal.role[n]})
    finally:
        clock.moment = None
    return ids


def _days(portal: YearOfPortal) -> Iterator[list[int]]:
    """The contacts' indexes, a day of creations at a time."""
    day: list[int] = []
    for n, born in enumerate(portal.created):
        if day and born.date() != portal.created[day[0]].date():
            yield day
            day = []
        day.append(n)
    if day:
        yield day


def fill_ledger(engine: Engine, portal: YearOfPortal, ids: Sequence[str], company_ids: Sequence[str | None]) -> int:
    """Write the contacts' states, their engagements and reality's lead cycles; return the cycles written."""
    rng = random.Random(17)
    states, engagements, transitions, handovers = [], [], [], []
    for n, contact_id in enumerate(ids):
        born = portal.created[n]
        states.append(_state(contact_id, company_ids[n], born))
        engagements += [{"contact_id": contact_id, "type": event.type, "occurred_at": event.occurred_at,
                         "source_key": f"bench:{k}", "signal_id": None}
                        for k, event in enumerate(portal.events[n])]  # fmt: skip
        if n % HANDED_OVER_EVERY == 0:
            cycle_transitions, cycle_handovers = lead_cycle(rng, contact_id, born, OWNERS[n % len(OWNERS)], portal.now)
            transitions += cycle_transitions
            handovers += cycle_handovers
    with engine.begin() as connection:
        for table, rows in ((CONTACT_STATE, states), (ENGAGEMENTS, engagements), (TRANSITIONS, transitions),
                            (HANDOVERS, handovers)):  # fmt: skip
            for first in range(0, len(rows), CHUNK):
                connection.execute(insert(table), rows[first : first + CHUNK])
    return len({row["contact_id"] for row in handovers})


def _state(contact_id: str, company_id: str | None, born: datetime) -> dict[str, Any]:
    return {"contact_id": contact_id, "company_id": company_id, "fit": 0, "engagement": 0, "score": 0, "grade": "D4",
            "stage": None, "reasons": "", "model": "bench", "qualification_cycle": 1, "assessed_at": born,
            "changed_at": born, "created_at": born}  # fmt: skip


def candidate_model(directory: Path) -> Path:
    """The shipped model with a 60-day half-life and an MQL at engagement 10: a candidate worth comparing."""
    text = (ROOT / "config" / "scoring.yaml").read_text()
    text = re.sub(r"^model: \S+", "model: bench-candidate", text, flags=re.MULTILINE)
    text = text.replace("half_life_days: 90", "half_life_days: 60")
    text = text.replace("when: fit >= 40 and engagement >= 15", "when: fit >= 40 and engagement >= 10")
    path = directory / "candidate.yaml"
    path.write_text(text)
    return path


# One run ------------------------------------------------------------------------------------------------------


@dataclass
class Run:
    contacts: int
    companies: int
    seed_seconds: float = 0.0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_rss_kib: int = 0
    peak_pss_kib: int = 0
    requests: dict[str, int] = field(default_factory=dict)
    minimum_requests: int = 0
    too_many: int = 0
    handed_over: int = 0
    document: dict[str, Any] = field(default_factory=dict)
    json_bytes: int = 0
    twin_busy_seconds: float = 0.0  # the twin answering the backtest's requests (in the bench's process)

    @property
    def floor_seconds(self) -> float:
        return WINDOW * max(0, math.ceil(self.minimum_requests / PROFESSIONAL_LIMIT) - 1)

    def summary(self) -> dict[str, Any]:
        doc = self.document
        return {
            "contacts": self.contacts,
            "companies": self.companies,
            "seed_seconds": round(self.seed_seconds, 1),
            "wall_seconds": round(self.wall_seconds, 1),
            "cpu_seconds": round(self.cpu_seconds, 1),
            "peak_rss_mib": round(self.peak_rss_kib / 1024, 1),
            "peak_pss_mib": round(self.peak_pss_kib / 1024, 1),
            "requests": self.requests,
            "minimum_requests": self.minimum_requests,
            "floor_seconds": self.floor_seconds,
            "responses_429": self.too_many,
            "twin_busy_seconds": round(self.twin_busy_seconds, 1),
            "handed_over_in_reality": self.handed_over,
            "report": {
                "contacts": doc.get("contacts"),
                "totals": doc.get("totals"),
                **{key: len(doc.get(key, ())) for key in ("gained", "lost", "earliest")},
                "json_bytes": self.json_bytes,
            },
        }


def minimum_requests(portal: YearOfPortal) -> int:
    """The fewest requests the backtest's reads can take: each contact and each company with a contact read once
    (100 per batch read) and its history once (50 per request)."""
    companies = len({at for at in portal.company_of if at is not None})
    return sum(math.ceil(n / per) for n in (portal.size, companies) for per in FLOOR_PER_REQUEST.values())


def backtest_once(count: int, now: datetime) -> tuple[Run, YearOfPortal]:
    model = load_scoring_model(ROOT / "config" / "scoring.yaml")
    portal = year_of_portal(count, now, model.event_types)
    run = Run(count, len(portal.companies), minimum_requests=minimum_requests(portal))
    clock = SettableClock()
    limits = GuardConfig(log_size=1000)
    with stack(Servers(), database="postgresql", limits=limits, clock=clock) as the_stack, \
            tempfile.TemporaryDirectory(prefix="leadflow-bench-backtest-") as directory:  # fmt: skip
        started = time.perf_counter()
        ids = seed_twin(the_stack, clock, portal)
        run_setup(the_stack)
        engine = create_engine(the_stack.settings().database_url.replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            companies = [the_stack.twin.get_object("contacts", i).get("associatedcompanyid") or None for i in ids]
            run.handed_over = fill_ledger(engine, portal, ids, companies)
        finally:
            engine.dispose()
        run.seed_seconds = time.perf_counter() - started
        the_stack.twin.reset_request_counts()
        if the_stack.twin.guard is not None:
            the_stack.twin.guard.log.reset()
        argv = [str(BIN / "leadflow"), "backtest", "--model", str(candidate_model(Path(directory))),
                "--to", now.isoformat(), "--json"]  # fmt: skip
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        process = subprocess.Popen(argv, env=the_stack.environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)  # fmt: skip
        with MemorySampler([process.pid]) as sampler:
            started = time.perf_counter()
            out, err = process.communicate(timeout=3600)
            run.wall_seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if process.returncode != 0:
            raise SystemExit(f"bench backtest: {' '.join(argv)} exited {process.returncode}\n{err}")
        run.cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        run.peak_rss_kib = sampler.peak_tree[process.pid]
        run.peak_pss_kib = sampler.peak_pss[process.pid]
        run.document, run.json_bytes = json.loads(out), len(out.encode())
        run.requests = the_stack.twin.request_counts()
        guard = the_stack.twin.guard
        if guard is not None:
            run.too_many = int(guard.stats()["statuses"].get("429", 0))
            run.twin_busy_seconds = sum(entry.duration_ms for entry in guard.log.entries()) / 1000
    if run.document.get("contacts") != count:
        reported = run.document.get("contacts")
        raise SystemExit(f"bench backtest: {count:,} contacts, but the backtest reported {reported}")
    return run, portal


# In-process baselines -----------------------------------------------------------------------------------------


def replay_contacts(portal: YearOfPortal, indexes: Sequence[int]) -> list[ReplayContact]:
    """The contacts as the backtest's shell hands them to the replay (values from their histories)."""
    types = {"company.numberofemployees": "number", "company.annualrevenue": "number"}
    found = []
    for n in indexes:
        values = portal.contacts[n]
        versions = [Version(portal.created[n], dict(values))]
        if (later := portal.role_set_at[n]) is not None:
            versions.append(Version(later, {**values, "hs_buying_role": portal.role[n]}))
        at = portal.company_of[n]
        dated = Version(portal.now - timedelta(days=DAYS + 30), portal.companies[at]) if at is not None else None
        company = Versions((dated,)) if dated is not None else Versions()
        found.append(ReplayContact(str(n), Versions(tuple(versions)), company, tuple(portal.events[n]), types))
    return found


def cpu_per_contact(work: Any, items: Sequence[Any]) -> float:
    """CPU seconds per item of `work(item)`, after a warm-up on the first few."""
    for item in items[:20]:
        work(item)
    started = time.process_time()
    for item in items:
        work(item)
    return (time.process_time() - started) / len(items)


def in_process_baselines(portal: YearOfPortal, models: Sequence[ScoringModel]) -> dict[str, float]:
    """CPU per contact: assessing it once under each model at `now`; replaying it under each model (a sample)."""
    everyone = replay_contacts(portal, range(portal.size))
    now = portal.now

    def assess_once(contact: ReplayContact) -> None:
        for model in models:
            assess(model, contact.contact.at(now), contact.company.at(now), contact.events, now, contact.property_types)

    def replay_both(contact: ReplayContact) -> None:
        for model in models:
            replay_contact(model, contact, contact.beginning or now, now)

    sample = random.Random(3).sample(everyone, min(SAMPLE, len(everyone)))
    return {
        "assess_once_both_models": cpu_per_contact(assess_once, everyone),
        "replay_both_models": cpu_per_contact(replay_both, sample),
    }


def run(report: Report, quick: bool) -> None:
    size = 10_000 if quick else 100_000
    now = datetime.now(UTC).replace(microsecond=0)
    small, _ = backtest_once(size // 5, now)
    big, portal = backtest_once(size, now)
    with tempfile.TemporaryDirectory() as directory:
        candidate = load_scoring_model(candidate_model(Path(directory)))
    models = [load_scoring_model(ROOT / "config" / "scoring.yaml"), candidate]
    baselines = in_process_baselines(portal, models)
    events = sum(len(e) for e in portal.events)
    report.details[SECTION] = {
        "runs": [small.summary(), big.summary()],
        "events": events,
        "role_changes": sum(at is not None for at in portal.role_set_at),
        "in_process_cpu_ms": {name: round(seconds * 1000, 3) for name, seconds in baselines.items()},
        "sample": SAMPLE,
    }
    n = f"{size:,} contacts, {len(portal.companies):,} companies, {events:,} engagements over {DAYS} days; 2 models"
    per_contact = big.cpu_seconds / size
    report.add(
        Figure(SECTION, "backtest wall time", big.wall_seconds, "s", big.floor_seconds, "rate-limit floor of its reads",
               note=f"{n}; floor: {big.minimum_requests:,} requests at {PROFESSIONAL_LIMIT} per rolling 10 s; "
                    f"{sum(big.requests.values()):,} used, {big.too_many} answered 429"),
        Figure(SECTION, "backtest CPU per contact (all its processes)", per_contact * 1000, "ms",
               baselines["assess_once_both_models"] * 1000, "assessing it once per model, same run",
               note=f"{n}; the reads (SDK, ledger) included"),
        Figure(SECTION, "replay CPU per contact, both models", baselines["replay_both_models"] * 1000, "ms",
               baselines["assess_once_both_models"] * 1000, "assessing it once per model, same run",
               note=f"{SAMPLE:,} contacts of the same portal replayed in the bench's process"),
        Figure(SECTION, "backtest peak memory", big.peak_pss_kib / 1024, "MiB", small.peak_pss_kib / 1024,
               f"at {size // 5:,} contacts", Target("ratio", "<=", MEMORY_GROWTH),
               note="PSS of the backtest's processes (its workers share pages after fork), peak over 100 ms samples"),
    )  # fmt: skip
