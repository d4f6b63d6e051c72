"""Contact merges and GDPR deletion through the official SDK."""

from __future__ import annotations

from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import (
    BatchReadInputSimplePublicObjectId,
    PublicGdprDeleteInput,
    PublicMergeInput,
    SimplePublicObjectId,
)

from hubspot_twin import HubSpotError, Twin, TwinServer
from tests.integration.twin.support import TIMEOUT, api_error, call


def merge(client: HubSpot, primary: str, merged: str) -> Any:
    body = PublicMergeInput(primary_object_id=primary, object_id_to_merge=merged)
    return client.crm.contacts.basic_api.merge(body, _request_timeout=TIMEOUT)


def test_a_merge_keeps_the_primary_and_fills_its_gaps_from_the_merged_contact(client: HubSpot, twin: Twin) -> None:
    older = twin.create_object(
        "contacts", {"email": "old@example.com", "jobtitle": "CTO", "lifecyclestage": "customer"}
    )
    primary = twin.create_object("contacts", {"email": "ada@example.com", "firstname": "Ada", "lifecyclestage": "lead"})

    merged = merge(client, primary, older)

    assert merged.id == primary
    assert merged.properties["email"] == "ada@example.com"
    assert (merged.properties["firstname"], merged.properties["jobtitle"]) == ("Ada", "CTO")
    assert merged.properties["lifecyclestage"] == "customer"
    assert merged.properties["createdate"] == twin.store.objects["contacts"][primary].properties["createdate"]
    assert merged.properties["hs_merged_object_ids"] == older


def test_a_merged_id_reads_as_the_primary(client: HubSpot, twin: Twin) -> None:
    primary = twin.create_object("contacts", {"email": "p@example.com"})
    secondary = twin.create_object("contacts", {"email": "s@example.com"})
    merge(client, primary, secondary)

    single = client.crm.contacts.basic_api.get_by_id(secondary, properties=["email"], _request_timeout=TIMEOUT)
    batch = client.crm.contacts.batch_api.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[SimplePublicObjectId(id=secondary)], properties=["email"], properties_with_history=[]
        ),
        _request_timeout=TIMEOUT,
    )
    page = client.crm.contacts.basic_api.get_page(_request_timeout=TIMEOUT)

    assert (single.id, single.properties["email"]) == (primary, "p@example.com")
    assert [r.id for r in batch.results] == [primary]
    assert [c.id for c in page.results] == [primary]


def test_a_merge_moves_associations_to_the_primary(client: HubSpot, twin: Twin) -> None:
    company = twin.create_object("companies", {"name": "Kessler"})
    deal = twin.create_object("deals", {"dealname": "Deal"})
    primary = twin.create_object("contacts", {"email": "p@kessler.de"})
    secondary = twin.create_object("contacts", {"email": "s@kessler.de"})
    twin.associate("contacts", secondary, "companies", company, primary=True)
    twin.associate("deals", deal, "contacts", secondary)

    merged = merge(client, primary, secondary)

    assert twin.primary_company_id(primary) == company
    assert merged.properties["associatedcompanyid"] == company
    assert twin.associated_ids("deals", deal, "contacts") == [primary]
    assert twin.associated_ids("companies", company, "contacts") == [primary]


def test_a_contact_cannot_be_merged_with_itself_or_a_missing_one(client: HubSpot, twin: Twin) -> None:
    contact = twin.create_object("contacts", {"email": "self@example.com"})

    itself, _ = api_error(lambda: merge(client, contact, contact))
    missing, _ = api_error(lambda: merge(client, contact, "999999"))

    assert (itself, missing) == (400, 404)


def test_the_python_api_merges_contacts(twin: Twin) -> None:
    primary = twin.create_object("contacts", {"email": "a@example.com"})
    secondary = twin.create_object("contacts", {"email": "b@example.com", "city": "Bonn"})

    twin.merge_contacts(primary, secondary)

    assert twin.get_object("contacts", secondary)["city"] == "Bonn"
    assert twin.get_object("contacts", secondary)["hs_object_id"] == primary


def test_a_gdpr_delete_removes_the_contact_for_good(client: HubSpot, twin: Twin) -> None:
    company = twin.create_object("companies", {"name": "Acme"})
    contact = twin.create_object("contacts", {"email": "forget.me@example.com"})
    twin.associate("contacts", contact, "companies", company, primary=True)

    _, status, _ = client.crm.contacts.basic_api.purge_with_http_info(
        PublicGdprDeleteInput(object_id=contact), _request_timeout=TIMEOUT
    )

    live, _ = api_error(lambda: client.crm.contacts.basic_api.get_by_id(contact, _request_timeout=TIMEOUT))
    archived, _ = api_error(
        lambda: client.crm.contacts.basic_api.get_by_id(contact, archived=True, _request_timeout=TIMEOUT)
    )
    assert status == 204
    assert (live, archived) == (404, 404)
    assert twin.associated_ids("companies", company, "contacts") == []


def test_a_gdpr_delete_finds_the_contact_by_email(client: HubSpot, twin: Twin) -> None:
    contact = twin.create_object("contacts", {"email": "by.email@example.com"})

    client.crm.contacts.basic_api.purge(
        PublicGdprDeleteInput(object_id="By.Email@example.com", id_property="email"), _request_timeout=TIMEOUT
    )

    status, _ = api_error(lambda: client.crm.contacts.basic_api.get_by_id(contact, _request_timeout=TIMEOUT))
    assert status == 404


def test_a_gdpr_delete_of_an_unknown_contact_is_a_404(client: HubSpot, twin: Twin) -> None:
    status, _ = api_error(
        lambda: client.crm.contacts.basic_api.purge(PublicGdprDeleteInput(object_id="424242"), _request_timeout=TIMEOUT)
    )

    with pytest.raises(HubSpotError) as raised:
        twin.gdpr_delete_contact("424242")

    assert (status, raised.value.status) == (404, 404)


def test_deals_merge_too_and_tasks_do_not(server: TwinServer, twin: Twin) -> None:
    primary, merged = (twin.create_object("deals", {"dealname": n}) for n in ("Keep", "Fold"))
    tasks = [twin.create_object("tasks", {"hs_timestamp": "2025-01-01T00:00:00Z"}) for _ in range(2)]

    deal = call(server, "POST", "/crm/v3/objects/deals/merge", {"primaryObjectId": primary, "objectIdToMerge": merged})
    task = call(
        server, "POST", "/crm/v3/objects/tasks/merge", {"primaryObjectId": tasks[0], "objectIdToMerge": tasks[1]}
    )

    assert (deal.status, deal.body["id"], deal.body["properties"]["hs_merged_object_ids"]) == (200, primary, merged)
    assert task.status == 400


def test_associations_named_by_a_merged_id_reach_the_primary(twin: Twin) -> None:
    primary, secondary = (twin.create_object("contacts", {"email": f"{n}@example.com"}) for n in ("p", "s"))
    company = twin.create_object("companies", {"name": "Later"})
    twin.merge_contacts(primary, secondary)

    twin.associate("contacts", secondary, "companies", company)

    assert twin.associated_ids("companies", company, "contacts") == [primary]
    assert twin.associated_ids("contacts", secondary, "companies") == [company]
