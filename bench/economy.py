"""API economy: HubSpot requests Leadflow spends, beside the floor of the work and a naive strategy.

Leadflow runs as in production (bench.live: gunicorn web, two `leadflow worker` processes, the twin delivering
HubSpot's webhooks with HubSpot's limits); the twin counts every request it serves.

- **Scoring**: every contact of a portal changes in a way that moves its fit score. Floor: one batch read per
  100 contacts, one per 100 of their companies, one batch update per 100 written contacts.
- **Handovers**: 100 contacts become sales-qualified (owner, task with its due date, deal). Floor: per 100, a
  batch read of the contacts, one owners page, a batch create of the tasks and one of the deals (associations
  inline) and a batch update of the contacts; the companies are already cached from their earlier scoring.
- **Burst**: many events on fewer contacts, as fast as HubSpot delivers them (contacts that do not qualify, so it
  measures scoring alone). Floor as for scoring, over the distinct contacts. Compared with the naive strategy
  (bench.naive: one job per event, single-record reads and writes) run on the same events.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.rules import load_scoring_model
from bench.env import ACCESS_TOKEN, ROOT, Servers, stack
from bench.live import LiveLeadflow, live_leadflow, run_setup
from bench.naive import NaiveScorer
from bench.portal import SyntheticPortal, scoring_floor, seed, seed_portal, synthetic_portal
from bench.report import Figure, Report, Target
from hubspot_twin.http.guard import GuardConfig
from hubspot_twin.simulator.actions import apply_action
from hubspot_twin.simulator.portal import SALES_TEAM
from hubspot_twin.twin import Twin

SECTION = "economy"
QUALIFIED_COMPANY = {"industry": "MACHINERY", "numberofemployees": "250", "country": "Germany"}
BURST_ACTIONS = ("newsletter_click", "pricing_view", "whitepaper")
ACTION_EVENT = {"newsletter_click": "newsletter_click", "pricing_view": "pricing_page_view",
                "whitepaper": "whitepaper_download"}  # fmt: skip


@dataclass(frozen=True)
class Sizes:
    scoring_contacts: int
    handovers: int
    burst_events: int
    burst_contacts: int


QUICK = Sizes(scoring_contacts=1_000, handovers=100, burst_events=2_000, burst_contacts=400)
FULL = Sizes(scoring_contacts=5_000, handovers=100, burst_events=10_000, burst_contacts=2_000)


def run(report: Report, quick: bool) -> None:
    sizes = QUICK if quick else FULL
    details: dict[str, object] = {"sizes": sizes.__dict__}
    with stack(Servers()) as the_stack, live_leadflow(the_stack) as live:
        _seed_owners(the_stack.twin)
        details["scoring"] = scoring(report, live, sizes.scoring_contacts)
        details["handovers"] = handovers(report, live, sizes.handovers)
        burst_details, events = burst(report, live, sizes)
    details["burst"] = burst_details
    details["naive"] = naive(report, sizes, events, int(str(burst_details["requests"])))
    report.details[SECTION] = details


# Scoring ------------------------------------------------------------------------------------------------------


def scoring(report: Report, live: LiveLeadflow, count: int) -> dict[str, object]:
    twin = live.stack.twin
    portal = synthetic_portal(count, max(1, count // 4), seed=21)
    for row in portal.contacts:
        row["hs_buying_role"] = "INFLUENCER"
    contacts = seed_portal(twin, portal)
    twin.reset_request_counts()
    for contact_id in contacts:  # +30 fit for everyone: every contact is written
        twin.update_object("contacts", contact_id, {"hs_buying_role": "DECISION_MAKER"})
    seconds = live.settle()
    used = twin.total_requests()
    companies = len({at for at in portal.company_of if at is not None})
    floor = scoring_floor(count, companies, count)
    per_100, floor_per_100 = used / count * 100, floor / count * 100
    report.add(
        Figure(SECTION, "requests per 100 contacts scored", per_100, "req", floor_per_100, "floor",
               Target("ratio", "<=", 1.1), note=f"{count:,} contacts at {companies:,} companies"),
    )  # fmt: skip
    return {"contacts": count, "companies": companies, "requests": used, "floor": floor, "seconds": round(seconds, 1),
            "by_endpoint": twin.request_counts()}  # fmt: skip


# Handovers ----------------------------------------------------------------------------------------------------


def handovers(report: Report, live: LiveLeadflow, count: int) -> dict[str, object]:
    """`count` fitting contacts engage into MQL (not counted), then each requests a demo: SQL, owner, task, deal."""
    twin = live.stack.twin
    company_rows = [{**QUALIFIED_COMPANY, "name": f"Target {n}", "domain": f"target-{n}.example"} for n in range(20)]
    contact_rows = [
        {"firstname": "Lea", "lastname": f"Buyer {n}", "email": f"lea.buyer.{n}@target-{n % 20}.example",
         "phone": f"+49 89 {1000000 + n}", "company": f"Target {n % 20}", "country": "Germany"}
        for n in range(count)
    ]  # fmt: skip
    for row in contact_rows:
        row["hs_buying_role"] = "DECISION_MAKER"
    contacts = seed(twin, company_rows, contact_rows, [n % 20 for n in range(count)])
    rng, start = random.Random(5), datetime.now(UTC)
    rounds = ("whitepaper", "webinar", "newsletter_click", "newsletter_click", "pricing_view")  # 5+8+2+2+3: MQL
    for n, action in enumerate(rounds):
        now = start + timedelta(seconds=n)  # a click at another time is another change HubSpot reports
        for contact_id in contacts:
            apply_action(twin, contact_id, action, now, rng)
        live.settle()
    mql_tasks = len(twin.live_objects("tasks"))
    twin.reset_request_counts()
    for contact_id in contacts:  # a demo request: engagement 30 with a demo in the last 30 days: SQL
        apply_action(twin, contact_id, "demo_request", start + timedelta(seconds=len(rounds)), rng)
    seconds = live.settle()
    used = twin.total_requests()
    deals = len(twin.live_objects("deals"))
    tasks = len(twin.live_objects("tasks")) - mql_tasks
    floor = 5 * math.ceil(deals / 100)  # contacts read, owners page, tasks create, deals create, contacts update
    report.add(
        Figure(SECTION, "requests per 100 SQL handovers", used / max(deals, 1) * 100, "req",
               floor / max(deals, 1) * 100, "floor", note=f"{deals} deals and {tasks} tasks created"),
    )  # fmt: skip
    return {"contacts": count, "mql_tasks": mql_tasks, "sql_tasks": tasks, "deals": deals, "requests": used,
            "floor": floor, "seconds": round(seconds, 1), "by_endpoint": twin.request_counts()}  # fmt: skip


# Burst --------------------------------------------------------------------------------------------------------

BurstEvents = list[tuple[int, str | None, datetime]]  # (the contact's row in the burst portal, event type, time)


def burst_portal(contacts: int) -> SyntheticPortal:
    """The burst's contacts: nobody reaches a stage (free mail, no buying role), so it measures scoring alone."""
    portal = synthetic_portal(contacts, max(1, contacts // 4), seed=33)
    for row in portal.contacts:
        row["email"] = row["email"].split("@")[0] + "@gmail.com"
        row["hs_buying_role"] = "END_USER"
    return portal


def burst(report: Report, live: LiveLeadflow, sizes: Sizes) -> tuple[dict[str, object], BurstEvents]:
    twin = live.stack.twin
    portal = burst_portal(sizes.burst_contacts)
    contacts = seed_portal(twin, portal)
    rng, now = random.Random(9), datetime.now(UTC)
    plan = [(rng.randrange(len(contacts)), rng.choice(BURST_ACTIONS)) for _ in range(sizes.burst_events)]
    twin.reset_request_counts()
    started = time.monotonic()
    for row, action in plan:
        apply_action(twin, contacts[row], action, now, rng)
    seconds = live.settle() + (time.monotonic() - started)
    used = twin.total_requests()
    touched = {row for row, _ in plan}
    companies = {portal.company_of[row] for row in touched} - {None}
    floor = scoring_floor(len(touched), len(companies), len(touched))
    report.add(
        Figure(SECTION, f"requests for a burst of {sizes.burst_events:,} events", used, "req", floor, "floor",
               note=f"on {len(touched):,} contacts, settled in {seconds:.0f} s"),
    )  # fmt: skip
    details = {"events": sizes.burst_events, "contacts": len(touched), "companies": len(companies), "requests": used,
               "floor": floor, "seconds": round(seconds, 1), "by_endpoint": twin.request_counts()}  # fmt: skip
    return details, [(row, ACTION_EVENT[action], now) for row, action in plan]


def naive(report: Report, sizes: Sizes, events: BurstEvents, leadflow_requests: int) -> dict[str, object]:
    """The same burst through the naive strategy, on a twin of its own (the same portal) without rate limits."""
    unlimited = GuardConfig(ten_second_limit=None, daily_limit=None, search_per_second=None)
    with stack(Servers(), limits=unlimited) as naive_stack:
        run_setup(naive_stack)
        portal = burst_portal(sizes.burst_contacts)
        ids = seed_portal(naive_stack.twin, portal)
        naive_stack.twin.reset_request_counts()
        scorer = NaiveScorer(naive_stack.twin_url, ACCESS_TOKEN, load_scoring_model(ROOT / "config" / "scoring.yaml"))
        started = time.monotonic()
        scorer.handle_all((ids[row], event, at) for row, event, at in events)
        seconds = time.monotonic() - started
        used = naive_stack.twin.total_requests()
    report.add(
        Figure(SECTION, "burst: naive strategy's requests ÷ Leadflow's", used / leadflow_requests, "×",
               target=Target("value", ">=", 20), note=f"naive: {used:,} requests in {seconds:.0f} s, unthrottled"),
    )  # fmt: skip
    return {"requests": used, "seconds": round(seconds, 1)}


# Owners -------------------------------------------------------------------------------------------------------


def _seed_owners(twin: Twin) -> None:
    for name, email, team, _territories in SALES_TEAM:
        first, last = name.split(" ", 1)
        twin.create_owner(email=email, first_name=first, last_name=last, teams=[team])
