"""The twin's indexes stay true to its records: pages by id, unique values and ``idProperty`` lookups after every
kind of write (update, archive, merge, GDPR delete, reset), checked against a scan of the records."""

from __future__ import annotations

import random

import pytest

from hubspot_twin import HubSpotError, Twin
from hubspot_twin.catalog import COMPANIES, CONTACTS, DEALS, ObjectType
from hubspot_twin.crm.sorted_ids import BUCKET, SortedIds
from hubspot_twin.model import CrmObject


def scanned_page(twin: Twin, otype: ObjectType, after: int, size: int, archived: bool) -> list[str]:
    """Return what a page held before the indexes: a sort of every record of the type."""
    rows = sorted(
        (o for o in twin.store.objects[otype.name].values() if o.archived == archived and int(o.id) >= after),
        key=lambda o: int(o.id),
    )
    return [o.id for o in rows[: size + 1]]


def paged_ids(twin: Twin, otype: ObjectType, *, archived: bool = False, limit: int = 3) -> list[str]:
    """Follow the cursors through every page of a type."""
    ids: list[str] = []
    after: str | None = "0"
    while after is not None:
        rows, after = twin.store.page(otype, int(after), limit, archived)
        ids.extend(o.id for o in rows)
    return ids


def by_email(twin: Twin, email: str, *, archived: bool = False) -> CrmObject | None:
    return twin.store.lookup(CONTACTS, email, archived=archived, id_property="email")


def unique_deal_property(twin: Twin, name: str = "external_ref") -> None:
    body = {"name": name, "label": name, "type": "string", "fieldType": "text", "groupName": "dealinformation",
            "hasUniqueValue": True}  # fmt: skip
    with twin.store.lock:
        twin.store.schema.create_property(DEALS, body, twin.store.now())


def test_sorted_ids_agree_with_a_sorted_set_through_adds_and_removals() -> None:
    rng = random.Random(7)
    ids, expected = SortedIds(), set[int]()
    for _ in range(6 * BUCKET):
        value = rng.randrange(5 * BUCKET)
        if rng.random() < 0.6:
            ids.add(value)
            expected.add(value)
        else:
            ids.discard(value)
            expected.discard(value)

    ordered = sorted(expected)
    assert (list(ids), len(ids)) == (ordered, len(ordered))
    for first in (0, 1, BUCKET - 1, BUCKET, 2 * BUCKET + 3, 5 * BUCKET):
        assert ids.starting_at(first, 2 * BUCKET + 1) == [i for i in ordered if i >= first][: 2 * BUCKET + 1]
    assert all((value in ids) == (value in expected) for value in range(5 * BUCKET))


def test_pages_follow_numeric_ids_across_types_archives_merges_and_gdpr_deletes() -> None:
    twin = Twin()
    contacts = [twin.create_object("contacts", {"email": f"c{n}@example.com"}) for n in range(12)]
    twin.create_object("companies", {"name": "Interleaved"})
    contacts += twin.bulk_create("contacts", [{"firstname": f"Bulk {n}"} for n in range(5)])
    twin.archive_object("contacts", contacts[2])
    twin.archive_object("contacts", contacts[9])
    twin.merge_contacts(contacts[0], contacts[5])
    twin.gdpr_delete_contact(contacts[9])
    twin.gdpr_delete_contact(contacts[7])

    live = [c for n, c in enumerate(contacts) if n not in (2, 5, 7, 9)]
    assert paged_ids(twin, CONTACTS) == live
    assert paged_ids(twin, CONTACTS, archived=True) == [contacts[2]]
    for after in range(1000, int(contacts[-1]) + 2):
        for archived in (False, True):
            rows, _ = twin.store.page(CONTACTS, after, 4, archived)
            assert [o.id for o in rows] == scanned_page(twin, CONTACTS, after, 4, archived)[:4]


def test_the_cursor_names_the_first_record_of_the_next_page() -> None:
    twin = Twin()
    ids = twin.bulk_create("companies", [{"name": f"Co {n}"} for n in range(5)])

    first, after = twin.store.page(COMPANIES, 0, 2, False)
    last, none = twin.store.page(COMPANIES, int(ids[4]), 2, False)

    assert ([o.id for o in first], after) == (ids[:2], ids[2])
    assert ([o.id for o in last], none) == ([ids[4]], None)


def test_a_changed_email_frees_the_old_one_and_takes_the_new_one() -> None:
    twin = Twin()
    moved = twin.create_object("contacts", {"email": "old@example.com"})
    twin.update_object("contacts", moved, {"email": "New@Example.com"})

    reused = twin.create_object("contacts", {"email": "old@example.com"})
    with pytest.raises(HubSpotError) as raised:
        twin.create_object("contacts", {"email": "new@example.com"})

    assert raised.value.status == 409
    assert raised.value.message == f"Contact already exists. Existing ID: {moved}"
    assert [getattr(by_email(twin, e), "id", None) for e in ("OLD@example.com", " new@example.com")] == [reused, moved]


def test_a_cleared_unique_value_is_free_again_and_finds_nothing() -> None:
    twin = Twin()
    unique_deal_property(twin)
    cleared = twin.create_object("deals", {"external_ref": "ERP-1"})
    twin.update_object("deals", cleared, {"external_ref": ""})

    taker = twin.create_object("deals", {"external_ref": "ERP-1"})

    found = twin.store.lookup(DEALS, "ERP-1", id_property="external_ref")
    assert found is not None and found.id == taker
    assert twin.store.lookup(DEALS, "erp-1", id_property="external_ref") is None  # unique values keep their case


def test_an_archived_holder_frees_its_value_and_is_found_only_among_archived_records() -> None:
    twin = Twin()
    first = twin.create_object("contacts", {"email": "twice@example.com"})
    twin.archive_object("contacts", first)
    second = twin.create_object("contacts", {"email": "twice@example.com"})
    twin.archive_object("contacts", second)
    third = twin.create_object("contacts", {"email": "twice@example.com"})

    live, archived = by_email(twin, "twice@example.com"), by_email(twin, "twice@example.com", archived=True)

    assert (getattr(live, "id", None), getattr(archived, "id", None)) == (third, first)


def test_a_merge_moves_the_merged_email_to_a_primary_without_one() -> None:
    twin = Twin()
    primary = twin.create_object("contacts", {"firstname": "No email"})
    merged = twin.create_object("contacts", {"email": "moved@example.com"})
    twin.merge_contacts(primary, merged)

    with pytest.raises(HubSpotError) as raised:
        twin.create_object("contacts", {"email": "moved@example.com"})

    assert raised.value.message == f"Contact already exists. Existing ID: {primary}"
    assert getattr(by_email(twin, "moved@example.com"), "id", None) == primary


def test_a_merge_drops_the_merged_email_when_the_primary_keeps_its_own() -> None:
    twin = Twin()
    primary = twin.create_object("contacts", {"email": "kept@example.com"})
    merged = twin.create_object("contacts", {"email": "dropped@example.com"})
    twin.merge_contacts(primary, merged)

    again = twin.create_object("contacts", {"email": "dropped@example.com"})

    assert getattr(by_email(twin, "dropped@example.com"), "id", None) == again
    assert getattr(by_email(twin, "kept@example.com"), "id", None) == primary


def test_a_gdpr_delete_frees_the_email() -> None:
    twin = Twin()
    forgotten = twin.create_object("contacts", {"email": "forget@example.com"})
    twin.archive_object("contacts", forgotten)
    twin.gdpr_delete_contact(forgotten)

    assert by_email(twin, "forget@example.com", archived=True) is None
    assert twin.create_object("contacts", {"email": "forget@example.com"}) != forgotten


def test_a_reset_empties_every_index() -> None:
    twin = Twin()
    twin.bulk_create("contacts", [{"email": f"r{n}@example.com"} for n in range(3)])
    assert by_email(twin, "r1@example.com") is not None
    twin.reset()

    assert (by_email(twin, "r1@example.com"), paged_ids(twin, CONTACTS), twin.live_objects("contacts")) == (
        None,
        [],
        [],
    )
    assert twin.create_object("contacts", {"email": "r1@example.com"}) == "1001"


def test_a_unique_property_is_indexed_from_records_written_before_its_first_lookup() -> None:
    twin = Twin()
    unique_deal_property(twin)
    holder = twin.create_object("deals", {"dealname": "First", "external_ref": "ERP-7"})
    other = twin.create_object("deals", {"dealname": "Second"})

    with pytest.raises(HubSpotError) as raised:
        twin.update_object("deals", other, {"external_ref": "ERP-7"})
    twin.update_object("deals", holder, {"external_ref": "ERP-8"})
    twin.update_object("deals", other, {"external_ref": "ERP-7"})

    assert raised.value.message.endswith(f"on {other}. {holder} already has that value.")
    found = [twin.store.lookup(DEALS, value, id_property="external_ref") for value in ("ERP-7", "ERP-8")]
    assert [getattr(obj, "id", None) for obj in found] == [other, holder]


def test_unique_values_agree_with_a_scan_after_a_random_run_of_writes() -> None:
    twin, rng = Twin(), random.Random(3)
    emails = [f"p{n}@example.com" for n in range(8)]
    for _ in range(300):
        live = [o for o in twin.store.objects["contacts"].values() if not o.archived]
        action = rng.choice(["create", "update", "archive", "merge", "gdpr"])
        try:
            if action == "create" or not live:
                twin.create_object("contacts", {"email": rng.choice(emails)})
            elif action == "update":
                twin.update_object("contacts", rng.choice(live).id, {"email": rng.choice([*emails, ""])})
            elif action == "archive":
                twin.archive_object("contacts", rng.choice(live).id)
            elif action == "merge" and len(live) > 1:
                primary, merged = rng.sample(live, 2)
                twin.merge_contacts(primary.id, merged.id)
            else:
                twin.gdpr_delete_contact(rng.choice(list(twin.store.objects["contacts"])))
        except HubSpotError:
            pass
        records = list(twin.store.objects["contacts"].values())
        for email in emails:
            for archived in (False, True):
                holders = (o for o in records if o.archived == archived and o.properties.get("email") == email)
                assert by_email(twin, email, archived=archived) is next(holders, None)
        live_ids = [o.id for o in sorted(records, key=lambda o: int(o.id)) if not o.archived]
        assert paged_ids(twin, CONTACTS, limit=7) == live_ids
