"""The in-memory HubSpot's own knobs: requests counted as the SDK gateway sends them, faults, unanswered writes.
(What it shares with HubSpot is checked against the twin: tests/integration/test_gateway_conformance.py.)"""

from __future__ import annotations

import pytest

from app.sync.hubspot.errors import TransientHubSpotError
from app.sync.hubspot.fake import InMemoryHubSpot, Request


def test_batch_calls_are_counted_per_100_records_and_association_reads_per_1000_ids() -> None:
    hubspot = InMemoryHubSpot()
    ids = [hubspot.create("contact") for _ in range(250)]
    hubspot.read_objects("contact", ids, ["email"])
    hubspot.read_associations("contact", "company", [*ids, *ids])
    hubspot.update_objects("contact", {})
    assert hubspot.calls == [
        Request("read_objects", "contact", 100),
        Request("read_objects", "contact", 100),
        Request("read_objects", "contact", 50),
        Request("read_associations", "contact→company", 250),
    ]


def test_a_fault_fails_the_next_calls_of_its_operation_only_after_sending_a_request() -> None:
    hubspot = InMemoryHubSpot()
    contact_id = hubspot.create("contact", {"firstname": "Ada"})
    hubspot.fail_next("update_objects", TransientHubSpotError("503"), times=2)
    hubspot.update_objects("contact", {})  # sends nothing, so cannot fail
    assert hubspot.read_objects("contact", [contact_id], ["firstname"])[contact_id]["firstname"] == "Ada"
    for _ in range(2):
        with pytest.raises(TransientHubSpotError):
            hubspot.update_objects("contact", {contact_id: {"firstname": "Bea"}})
    assert hubspot.get("contact", contact_id)["firstname"] == "Ada"
    assert hubspot.update_objects("contact", {contact_id: {"firstname": "Bea"}}) == {}
    assert hubspot.request_counts() == {("read_objects", "contact"): 1, ("update_objects", "contact"): 3}


def test_unanswered_updates_land_and_are_reported_once_by_uncertain_writes() -> None:
    hubspot = InMemoryHubSpot()
    first, second = hubspot.create("contact"), hubspot.create("contact")
    hubspot.leave_unanswered()
    hubspot.update_objects("contact", {first: {"firstname": "A"}})
    hubspot.update_objects("contact", {second: {"firstname": "B"}})
    assert hubspot.get("contact", first)["firstname"] == "A"
    assert hubspot.uncertain_writes("company") == set()
    assert hubspot.uncertain_writes("contact") == {first}
    assert hubspot.uncertain_writes("contact") == set()
    hubspot.uncertain["contact"] = {second}  # seeded by a test
    assert hubspot.uncertain_writes("contact") == {second}


def test_a_refused_record_is_refused_by_update_and_by_upsert_and_the_others_written() -> None:
    hubspot = InMemoryHubSpot()
    kept, refused = hubspot.create("contact"), hubspot.create("contact")
    hubspot.refuse("contact", refused, "VALIDATION_ERROR: no")
    hubspot.refuse("task", "1-mql-1", "VALIDATION_ERROR: no")
    assert hubspot.update_objects("contact", {kept: {"a": "1"}, refused: {"a": "1"}}) == {
        refused: "VALIDATION_ERROR: no"
    }
    upserted = hubspot.upsert_objects("task", "leadflow_handover_id", {"1-mql-1": {}, "2-mql-1": {}})
    assert (list(upserted.ids), upserted.refused) == (["2-mql-1"], {"1-mql-1": "VALIDATION_ERROR: no"})
    assert hubspot.get("contact", kept)["a"] == "1" and "a" not in hubspot.get("contact", refused)
