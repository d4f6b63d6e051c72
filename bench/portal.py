"""Synthetic portals for the benchmark: realistic contacts and companies (the simulator's industries, countries and
buying roles), generated fast and the same for the same seed, and engagement histories for them."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.rules import EngagementEvent
from hubspot_twin.simulator.portal import COUNTRIES, FIRST, FREE_MAIL, LAST, OTHER_INDUSTRIES, TARGET_INDUSTRIES
from hubspot_twin.twin import Twin

ROLES = ("DECISION_MAKER", "BUDGET_HOLDER", "INFLUENCER", "END_USER", "CHAMPION", "BLOCKER", "")
TITLES = ("Head of Operations", "CTO", "Plant Manager", "Procurement Lead", "Engineer", "Marketing Manager", "CEO")


@dataclass(frozen=True)
class SyntheticPortal:
    companies: list[dict[str, str]]
    contacts: list[dict[str, str]]
    company_of: list[int | None]  # per contact: the index of its primary company, or None


def scoring_floor(contacts: int, companies: int, written: int) -> int:
    """The fewest HubSpot requests scoring can take: HubSpot's batch endpoints take 100 records, so one request per
    100 contacts read, per 100 of their distinct companies and per 100 contacts written."""
    return math.ceil(contacts / 100) + math.ceil(companies / 100) + math.ceil(written / 100)


def companies(count: int, rng: random.Random) -> Iterator[dict[str, str]]:
    for index in range(count):
        industry = rng.choice(TARGET_INDUSTRIES if rng.random() < 0.55 else OTHER_INDUSTRIES)
        employees = max(3, int(rng.lognormvariate(5.2, 1.3)))
        country = rng.choices([c for c, _ in COUNTRIES], weights=[w for _, w in COUNTRIES])[0]
        yield {
            "name": f"Company {index}",
            "domain": f"company-{index}.example",
            "industry": industry,
            "numberofemployees": str(employees),
            "annualrevenue": str(employees * rng.randint(90, 260) * 1000),
            "country": country,
        }


def contact(index: int, company: dict[str, str] | None, rng: random.Random) -> dict[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    domain = rng.choice(FREE_MAIL) if company is None or rng.random() < 0.15 else company["domain"]
    properties = {
        "firstname": first,
        "lastname": last,
        "email": f"{first}.{last}.{index}@{domain}".lower(),
        "hs_buying_role": rng.choice(ROLES),
        "jobtitle": rng.choice(TITLES),
    }
    if rng.random() > 0.25:
        properties["phone"] = f"+49 {rng.randint(30, 89)} {rng.randint(1_000_000, 9_999_999)}"
    if company is not None:
        properties["company"] = company["name"]
        properties["country"] = company["country"]
    return properties


def synthetic_portal(contacts: int, companies_count: int, seed: int = 7) -> SyntheticPortal:
    """`contacts` contacts, 95 % of them at one of `companies_count` companies (picked at random)."""
    rng = random.Random(seed)
    company_rows = list(companies(companies_count, rng))
    company_of: list[int | None] = []
    contact_rows = []
    for index in range(contacts):
        at = rng.randrange(companies_count) if company_rows and rng.random() < 0.95 else None
        company_of.append(at)
        contact_rows.append(contact(index, company_rows[at] if at is not None else None, rng))
    return SyntheticPortal(company_rows, contact_rows, company_of)


def engagement_history(
    event_types: Sequence[str], now: datetime, rng: random.Random, mean_events: float = 4.0
) -> list[EngagementEvent]:
    """A contact's engagement: a handful of events of the model's types over the last 180 days."""
    count = min(int(rng.expovariate(1 / mean_events)), 40)
    return [EngagementEvent(rng.choice(event_types), now - timedelta(days=rng.uniform(0, 180))) for _ in range(count)]


def seed(
    twin: Twin,
    companies: Sequence[dict[str, str]],
    contacts: Sequence[dict[str, str]],
    company_of: Sequence[int | None],
) -> list[str]:
    """Create the companies and contacts in the twin with their primary companies, publishing nothing (a portal
    as it was before Leadflow came); return the contacts' ids, in the order of `contacts`."""
    company_ids = twin.bulk_create("companies", companies)
    contact_ids = twin.bulk_create("contacts", contacts)
    pairs = [(c, company_ids[at]) for c, at in zip(contact_ids, company_of, strict=True) if at is not None]
    twin.bulk_associate_primary(pairs)
    return contact_ids


def seed_portal(twin: Twin, portal: SyntheticPortal) -> list[str]:
    """Seed a synthetic portal; return its contacts' ids."""
    return seed(twin, portal.companies, portal.contacts, portal.company_of)
