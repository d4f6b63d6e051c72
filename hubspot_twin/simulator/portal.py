"""A seeded, reproducible portal: companies, contacts with personas, and a sales team in teams and territories."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from hubspot_twin.simulator.actions import add_webinar_attendance_property
from hubspot_twin.simulator.personas import PERSONAS, Persona
from hubspot_twin.twin import Twin

TARGET_INDUSTRIES = ("MACHINERY", "INDUSTRIAL_AUTOMATION", "COMPUTER_SOFTWARE")
OTHER_INDUSTRIES = (
    "RETAIL", "HOSPITAL_HEALTH_CARE", "LOGISTICS_AND_SUPPLY_CHAIN", "FINANCIAL_SERVICES", "CONSTRUCTION",
    "ELECTRICAL_ELECTRONIC_MANUFACTURING", "FOOD_PRODUCTION", "MANAGEMENT_CONSULTING",
)  # fmt: skip
COUNTRIES = (("Germany", 0.38), ("Austria", 0.1), ("Switzerland", 0.1), ("France", 0.1), ("United Kingdom", 0.1),
             ("United States", 0.14), ("Netherlands", 0.08), ("Norway", 0.1))  # fmt: skip
NAME_PARTS = (("Kessler", "Alpen", "Rhein", "Nord", "Helios", "Fjord", "Bauer", "Lumen", "Quantum", "Oak", "Brenner",
               "Vogt", "Stahl", "Falk", "Birken", "Ostwind"),
              ("werk", "tech", "systems", "automation", "robotics", "logistics", "analytics", "precision",
               "group"))  # fmt: skip
FIRST = ("Anna", "Jonas", "Lea", "Felix", "Mia", "Lukas", "Sofia", "Elias", "Emma", "Noah", "Clara", "Paul", "Ida",
         "Ben", "Marie", "Finn", "Lina", "Tom", "Nora", "Jan")  # fmt: skip
LAST = ("Keller", "Brandt", "Hofer", "Weber", "Novak", "Schmid", "Larsen", "Dubois", "Meyer", "Fischer", "Wagner",
        "Becker", "Roth", "Koch", "Berg", "Lang")  # fmt: skip
FREE_MAIL = ("gmail.com", "gmx.de", "web.de", "yahoo.com")
DACH = ("Germany", "Austria", "Switzerland")
ELSEWHERE = ("France", "United Kingdom", "United States", "Netherlands", "Norway")
# The team of config/routing.yaml: six reps in two territories, the head of sales as fallback, marketing-ops.
SALES_TEAM = (
    ("Dana Fuchs", "dana.fuchs@example.com", "DACH", DACH),
    ("Malte Krüger", "malte.krueger@example.com", "DACH", DACH),
    ("Lena Schmidt", "lena.schmidt@example.com", "DACH", DACH),
    ("Sam Taylor", "sam.taylor@example.com", "International", ELSEWHERE),
    ("Jonas Berger", "jonas.berger@example.com", "International", ELSEWHERE),
    ("Priya Nair", "priya.nair@example.com", "International", ELSEWHERE),
    ("Olaf Otto", "olaf.otto@example.com", "Sales leadership", DACH + ELSEWHERE),
    ("Ops Desk", "ops@example.com", "Marketing operations", ()),
)


@dataclass(frozen=True)
class SimOwner:
    id: str
    name: str
    team: str
    territories: tuple[str, ...]


@dataclass(frozen=True)
class SimCompany:
    id: str
    name: str
    industry: str
    employees: int
    country: str
    domain: str


@dataclass(frozen=True)
class SimContact:
    id: str
    index: int
    name: str
    persona: Persona
    company: SimCompany | None


@dataclass
class SeededPortal:
    seed: int
    owners: list[SimOwner] = field(default_factory=list)
    companies: list[SimCompany] = field(default_factory=list)
    contacts: list[SimContact] = field(default_factory=list)


def seed_portal(twin: Twin, contacts: int, seed: int) -> SeededPortal:
    """Create owners, companies and `contacts` contacts in `twin`, the same ones for the same seed."""
    rng = random.Random(seed)
    add_webinar_attendance_property(twin)
    portal = SeededPortal(seed=seed, owners=_seed_owners(twin))
    portal.companies = [_seed_company(twin, rng, index) for index in range(max(4, contacts // 3))]
    competitors = [_seed_company(twin, rng, -1 - n, industry="COMPUTER_SOFTWARE") for n in range(2)]
    for index in range(contacts):
        persona = rng.choices(PERSONAS, weights=[p.share for p in PERSONAS])[0]
        company = _company_for(rng, persona, portal.companies, competitors)
        portal.contacts.append(_seed_contact(twin, rng, index, persona, company))
    return portal


def _seed_owners(twin: Twin) -> list[SimOwner]:
    owners = []
    for name, email, team, territories in SALES_TEAM:
        first, last = name.split(" ", 1)
        owner_id = twin.create_owner(email=email, first_name=first, last_name=last, teams=[team])
        owners.append(SimOwner(owner_id, name, team, territories))
    twin.create_owner(email="former.rep@example.com", first_name="Former", last_name="Rep", archived=True)
    return owners


def _seed_company(twin: Twin, rng: random.Random, index: int, industry: str | None = None) -> SimCompany:
    name = f"{rng.choice(NAME_PARTS[0])}{rng.choice(NAME_PARTS[1])}" + ("" if index >= 0 else " Competitor")
    target = rng.random() < 0.55
    industry = industry or rng.choice(TARGET_INDUSTRIES if target else OTHER_INDUSTRIES)
    employees = max(3, int(rng.lognormvariate(5.2, 1.3)))
    country = rng.choices([c for c, _ in COUNTRIES], weights=[w for _, w in COUNTRIES])[0]
    domain = f"{name.lower().replace(' ', '-')}-{abs(index)}.example"
    properties = {"name": name, "domain": domain, "industry": industry, "numberofemployees": str(employees),
                  "annualrevenue": str(employees * rng.randint(90, 260) * 1000), "country": country}  # fmt: skip
    return SimCompany(twin.create_object("companies", properties), name, industry, employees, country, domain)


def _company_for(
    rng: random.Random, persona: Persona, companies: list[SimCompany], competitors: list[SimCompany]
) -> SimCompany | None:
    if persona.name == "competitor":
        return rng.choice(competitors)
    if persona.name == "student" or rng.random() < 0.05:
        return None
    targets = [c for c in companies if c.industry in TARGET_INDUSTRIES and 50 <= c.employees <= 1000]
    pool = targets if targets and rng.random() < persona.target_company_share else companies
    return rng.choice(pool)


CHAMPIONING = frozenset({"DECISION_MAKER", "INFLUENCER"})  # roles that often come with championing the purchase


def _seed_contact(
    twin: Twin, rng: random.Random, index: int, persona: Persona, company: SimCompany | None
) -> SimContact:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    title, role = rng.choice(persona.roles)
    if role in CHAMPIONING and index % 3 == 0:  # buying roles are multiple checkboxes: some hold two
        role = f"{role};CHAMPION"
    domain = rng.choice(FREE_MAIL) if company is None or rng.random() < persona.free_mail_share else None
    email = f"{first}.{last}.{index}@".lower() + (domain or company.domain)  # type: ignore[union-attr]
    properties = {"firstname": first, "lastname": last, "email": email, "hs_buying_role": role}
    if rng.random() > 0.1:
        properties["jobtitle"] = title
    if rng.random() > 0.25:
        properties["phone"] = f"+49 {rng.randint(30, 89)} {rng.randint(1_000_000, 9_999_999)}"
    if company is not None:
        properties["company"] = company.name
        if rng.random() > 0.1:
            properties["country"] = company.country
    if persona.customer:
        properties["lifecyclestage"] = "customer"
    contact_id = twin.create_object("contacts", properties)
    if company is not None:
        twin.associate("contacts", contact_id, "companies", company.id, primary=True)
    return SimContact(contact_id, index, f"{first} {last}", persona, company)
