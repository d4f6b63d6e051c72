"""The change feed: one ``Change`` per committed change, attributed to the app behind the token or to the caller."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hubspot import HubSpot
from hubspot.crm.associations.v4 import (
    AssociationSpec,
    BatchInputPublicAssociationMultiPost,
    PublicAssociationMultiPost,
    PublicObjectId,
)
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    PublicGdprDeleteInput,
    PublicMergeInput,
    SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)

from hubspot_twin import Twin, TwinServer
from hubspot_twin.crm.changes import CRM_UI, Change, ChangeSource, integration
from tests.integration.twin.support import TIMEOUT, TOKEN, call

APP_ID = "777001"
OTHER_TOKEN = "second-app-token"


@pytest.fixture(scope="module")
def twin() -> Twin:
    """Return a twin whose test token belongs to app 777001 (any other accepted token: the default app)."""
    return Twin(access_tokens={TOKEN, OTHER_TOKEN}, apps={TOKEN: APP_ID})


@pytest.fixture
def changes(twin: Twin) -> Iterator[list[Change]]:
    """Record every change published while the test runs."""
    seen: list[Change] = []
    unsubscribe = twin.feed.subscribe(seen.append)
    yield seen
    unsubscribe()


def kinds(changes: list[Change]) -> list[tuple[str, str, str]]:
    return [(c.kind, c.object_type, c.object_id) for c in changes]


def create_contact(client: HubSpot, **properties: str) -> str:
    body = SimplePublicObjectInputForCreate(properties=properties)
    return str(client.crm.contacts.basic_api.create(body, _request_timeout=TIMEOUT).id)


def update_contact(client: HubSpot, contact_id: str, **properties: str) -> None:
    body = SimplePublicObjectInput(properties=properties)
    client.crm.contacts.basic_api.update(contact_id, body, _request_timeout=TIMEOUT)


def test_an_api_create_is_published_as_the_tokens_app_with_its_initial_values(
    client: HubSpot, changes: list[Change]
) -> None:
    contact_id = create_contact(client, email="ada@example.com", firstname="Ada")

    [created] = changes
    assert (created.kind, created.object_type, created.object_id) == ("created", "contacts", contact_id)
    assert created.source == integration(APP_ID) == ChangeSource("INTEGRATION", APP_ID)
    assert created.properties["email"] == "ada@example.com"
    assert created.properties["firstname"] == "Ada"
    assert created.properties["hs_object_id"] == contact_id
    assert None not in created.properties.values()


def test_a_token_no_app_is_named_for_belongs_to_the_default_app(server: TwinServer, changes: list[Change]) -> None:
    call(server, "POST", "/crm/v3/objects/companies", {"properties": {"name": "Acme"}}, token=OTHER_TOKEN)

    assert [c.source for c in changes] == [integration("4242")]


def test_an_update_publishes_only_what_changed_and_clears_as_none(
    client: HubSpot, twin: Twin, changes: list[Change]
) -> None:
    contact_id = twin.create_object("contacts", {"firstname": "Ada", "lastname": "Lovelace", "city": "London"})
    changes.clear()

    update_contact(client, contact_id, firstname="Ada", lastname="King", city="")

    [updated] = changes
    assert updated.kind == "updated"
    assert dict(updated.properties) == {"lastname": "King", "city": None}


def test_an_update_that_changes_nothing_publishes_nothing(client: HubSpot, twin: Twin, changes: list[Change]) -> None:
    contact_id = twin.create_object("contacts", {"firstname": "Ada", "lifecyclestage": "customer"})
    before = twin.store.objects["contacts"][contact_id].updated_at
    changes.clear()

    update_contact(client, contact_id, firstname="Ada")
    update_contact(client, contact_id, lifecyclestage="lead")  # backward: ignored
    twin.update_object("contacts", contact_id, {"firstname": "Ada"})

    assert changes == []
    assert twin.store.objects["contacts"][contact_id].updated_at == before


def test_python_api_writes_are_published_as_their_source(twin: Twin, changes: list[Change]) -> None:
    form = ChangeSource("FORM", "form-7")

    contact_id = twin.create_object("contacts", {"email": "f@example.com"}, source=form)
    twin.update_object("contacts", contact_id, {"hs_analytics_num_page_views": "3"}, system=True)
    twin.archive_object("contacts", contact_id, source=form)

    assert [(c.kind, c.source) for c in changes] == [("created", form), ("updated", CRM_UI), ("archived", form)]
    assert dict(changes[1].properties) == {"hs_analytics_num_page_views": "3"}


def test_archiving_an_unknown_or_archived_record_publishes_nothing(twin: Twin, changes: list[Change]) -> None:
    contact_id = twin.create_object("contacts", {})
    twin.archive_object("contacts", contact_id)
    changes.clear()

    twin.archive_object("contacts", contact_id)
    twin.archive_object("contacts", "999999")

    assert changes == []


def test_an_association_is_one_change_from_the_side_the_call_named(
    client: HubSpot, twin: Twin, changes: list[Change]
) -> None:
    contact_id = twin.create_object("contacts", {})
    company_id = twin.create_object("companies", {"name": "Acme"})
    changes.clear()

    client.crm.associations.v4.basic_api.create_default("companies", company_id, "contacts", contact_id)
    client.crm.associations.v4.basic_api.create_default("companies", company_id, "contacts", contact_id)

    [associated] = changes
    assert (associated.kind, associated.object_type, associated.object_id) == ("associated", "companies", company_id)
    assert (associated.to_object_type, associated.to_object_id) == ("contacts", contact_id)
    assert (associated.association_type_ids, associated.is_primary) == ((280,), False)
    assert associated.source == integration(APP_ID)


def test_a_new_primary_company_publishes_the_demotion_the_association_and_associatedcompanyid(
    client: HubSpot, twin: Twin, changes: list[Change]
) -> None:
    contact_id = twin.create_object("contacts", {})
    old, new = (twin.create_object("companies", {"name": n}) for n in ("Old", "New"))
    twin.associate("contacts", contact_id, "companies", old, primary=True)
    changes.clear()
    post = PublicAssociationMultiPost(
        _from=PublicObjectId(id=contact_id),
        to=PublicObjectId(id=new),
        types=[AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)],
    )

    client.crm.associations.v4.batch_api.create(
        "contacts", "companies", BatchInputPublicAssociationMultiPost(inputs=[post]), _request_timeout=TIMEOUT
    )

    assert [(c.kind, c.to_object_id, c.association_type_ids, c.is_primary) for c in changes[:2]] == [
        ("dissociated", old, (1,), True),
        ("associated", new, (1, 279), True),
    ]
    assert (changes[2].kind, dict(changes[2].properties)) == ("updated", {"associatedcompanyid": new})
    assert len(changes) == 3


def test_removing_an_association_is_one_dissociated_change(client: HubSpot, twin: Twin, changes: list[Change]) -> None:
    deal_id = twin.create_object("deals", {"dealname": "D"})
    contact_id = twin.create_object("contacts", {})
    twin.associate("deals", deal_id, "contacts", contact_id)
    changes.clear()

    client.crm.associations.v4.basic_api.archive("contacts", contact_id, "deals", deal_id, _request_timeout=TIMEOUT)

    assert [(c.kind, c.object_type, c.to_object_id, c.association_type_ids) for c in changes] == [
        ("dissociated", "contacts", deal_id, (4,))
    ]


def test_a_create_with_inline_associations_publishes_the_record_then_its_associations(
    twin: Twin, changes: list[Change]
) -> None:
    contact_id = twin.create_object("contacts", {})
    changes.clear()
    inline = {"to": {"id": contact_id}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}]}

    task_id = twin.create_object("tasks", {"hs_timestamp": "2025-01-01T00:00:00Z"}, associations=[inline])

    assert [(c.kind, c.object_id, c.to_object_id, c.association_type_ids) for c in changes] == [
        ("created", task_id, None, ()),
        ("associated", task_id, contact_id, (204,)),
    ]


def test_a_batch_publishes_one_change_per_written_record_in_input_order(
    client: HubSpot, twin: Twin, changes: list[Change]
) -> None:
    ids = [twin.create_object("contacts", {"firstname": f"C{n}"}) for n in range(3)]
    changes.clear()
    body = BatchInputSimplePublicObjectBatchInput(
        inputs=[
            SimplePublicObjectBatchInput(id=ids[2], properties={"firstname": "Third"}),
            SimplePublicObjectBatchInput(id=ids[0], properties={"firstname": "C0"}),  # unchanged
            SimplePublicObjectBatchInput(id="999999", properties={"firstname": "Nobody"}),
            SimplePublicObjectBatchInput(id=ids[1], properties={"firstname": "Second"}),
        ]
    )

    client.crm.contacts.batch_api.update(body, _request_timeout=TIMEOUT)
    created = client.crm.contacts.batch_api.create(
        BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[SimplePublicObjectBatchInputForCreate(properties={"firstname": n}) for n in ("X", "Y")]
        ),
        _request_timeout=TIMEOUT,
    )

    assert kinds(changes) == [
        ("updated", "contacts", ids[2]),
        ("updated", "contacts", ids[1]),
        *[("created", "contacts", r.id) for r in created.results],
    ]


def test_a_merge_and_a_gdpr_delete_are_one_change_each(client: HubSpot, twin: Twin, changes: list[Change]) -> None:
    primary, secondary = (twin.create_object("contacts", {"email": f"{n}@example.com"}) for n in ("p", "s"))
    changes.clear()

    client.crm.contacts.basic_api.merge(
        PublicMergeInput(primary_object_id=primary, object_id_to_merge=secondary), _request_timeout=TIMEOUT
    )
    client.crm.contacts.basic_api.purge(PublicGdprDeleteInput(object_id=primary), _request_timeout=TIMEOUT)

    assert [(c.kind, c.object_id, c.merged_ids) for c in changes] == [
        ("merged", primary, (secondary,)),
        ("privacy_deleted", primary, ()),
    ]


def test_the_feed_keeps_its_listeners_through_a_reset(twin: Twin, changes: list[Change]) -> None:
    twin.reset()

    twin.create_object("companies", {"name": "After reset"})

    assert [c.kind for c in changes] == ["created"]


def test_changes_carry_the_instant_of_the_twins_clock() -> None:
    fixed = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    twin = Twin(clock=lambda: fixed)
    seen: list[Change] = []
    twin.feed.subscribe(seen.append)

    twin.create_object("contacts", {"email": "clock@example.com"})

    assert seen[0].occurred_at_ms == int(fixed.timestamp() * 1000)
