"""Helpers of the search tests: SDK search calls, filters, and two small seeded portals."""

from __future__ import annotations

from typing import Any

from hubspot import HubSpot
from hubspot.crm.contacts import Filter, FilterGroup, PublicObjectSearchRequest

from hubspot_twin import Twin
from tests.integration.twin.support import TIMEOUT


def where(name: str, operator: str, value: str | None = None, **operands: Any) -> Filter:
    return Filter(property_name=name, operator=operator, value=value, **operands)


def request(*groups: list[Filter], **fields: Any) -> PublicObjectSearchRequest:
    return PublicObjectSearchRequest(filter_groups=[FilterGroup(filters=group) for group in groups], **fields)


def contacts(client: HubSpot, *groups: list[Filter], **fields: Any) -> Any:
    return client.crm.contacts.search_api.do_search(
        public_object_search_request=request(*groups, **fields), _request_timeout=TIMEOUT
    )


def companies(client: HubSpot, *groups: list[Filter], **fields: Any) -> Any:
    return client.crm.companies.search_api.do_search(
        public_object_search_request=request(*groups, **fields), _request_timeout=TIMEOUT
    )


def objects(client: HubSpot, object_type: str, *groups: list[Filter], **fields: Any) -> Any:
    return client.crm.objects.search_api.do_search(
        object_type, public_object_search_request=request(*groups, **fields), _request_timeout=TIMEOUT
    )


def ids(page: Any) -> list[str]:
    return [record.id for record in page.results]


def seed_people(twin: Twin) -> dict[str, str]:
    """Four contacts; Linus has no last name, Grace no email."""
    return {
        "ada": twin.create_object("contacts", {"email": "Ada@Example.com", "firstname": "Ada", "lastname": "Lovelace",
                                               "lifecyclestage": "lead", "hs_buying_role": "CHAMPION;BLOCKER"}),
        "grace": twin.create_object("contacts", {"firstname": "Grace", "lastname": "Hopper",
                                                 "lifecyclestage": "customer", "jobtitle": "Admiral"}),
        "mary": twin.create_object("contacts", {"email": "mary@sample.org", "firstname": "Mary Ann",
                                                "lastname": "Smith", "hs_buying_role": "BLOCKER"}),
        "linus": twin.create_object("contacts", {"email": "linus@example.com", "firstname": "Linus"}),
    }  # fmt: skip


def seed_firms(twin: Twin) -> list[str]:
    """Companies with 9, 10, 100 and no employees (9 < 10 only numerically)."""
    sizes = ["9", "10", "100", None]
    return [
        twin.create_object("companies", {"name": f"Firm {i}", **({"numberofemployees": n} if n else {})})
        for i, n in enumerate(sizes)
    ]
