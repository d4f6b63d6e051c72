"""Nurture's optional delivery adapters end to end, against the twin over HTTP with the SDK: an offered step's
contacts join the step's list (one request per list per batch), a contact handed over to sales is enrolled in the
sales sequence once by its owner's user (a retried drain too), and a failing list call is kept on the contact while
the offer stands."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from app.ledger.models import NURTURE_ENROLLMENTS
from app.rules.properties import NURTURE_STEP
from app.sync.pipeline import Pipeline
from tests.e2e.test_nurture import FIT_A, Portal, portal_with
from tests.support.app import ROOT

LISTS = "PUT /crm/v3/lists/{id}/memberships/add"
ENROLL = "POST /automation/v4/sequences/enrollments"
DELIVERY = """
delivery:
  lists: {checklist: 1}
  sequence: {id: 80000001}
"""


@pytest.fixture
def delivering_portal(ledger_url: str, redis_client: redis.Redis, tmp_path: Path) -> Iterator[Portal]:
    """The shipped configuration; nurture.yaml delivers the checklist to list 1 and enrolls handovers in sequence
    80000001 (each test makes them in the twin, as the marketer and a rep would)."""
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    with (config / "nurture.yaml").open("a") as nurture:
        nurture.write(DELIVERY)
    yield from portal_with(config, ledger_url, redis_client)


def drain_together(portal: Portal, *contact_ids: str) -> None:
    """Let the webhooks arrive, then drain these contacts in one batch (as one drain job would)."""
    assert portal.dispatcher.wait_idle(timeout=20), portal.dispatcher.stats()
    portal.container.pipeline().run(list(contact_ids))


def enrollments(portal: Portal) -> list[tuple[str, str, str]]:
    with portal.container.ledger.engine.connect() as connection:
        rows = connection.execute(select(NURTURE_ENROLLMENTS.c.contact_id, NURTURE_ENROLLMENTS.c.sequence_id,
                                         NURTURE_ENROLLMENTS.c.enrollment_id)).all()  # fmt: skip
    return [tuple(row) for row in rows]


def test_an_offered_step_adds_its_contacts_to_the_steps_list_in_one_request(delivering_portal: Portal) -> None:
    portal = delivering_portal
    assert portal.twin.create_list("Checklist offered") == "1"
    first, second = portal.buyer(), portal.buyer("ben.roth@kessler.de")
    portal.act(first, "whitepaper")
    portal.act(second, "whitepaper")
    drain_together(portal, first, second)
    assert portal.offered(first) == portal.offered(second) == [("awareness", "checklist")]
    assert sorted(portal.twin.list_members("1")) == sorted([first, second])
    assert portal.twin.request_counts()[LISTS] == 1  # one request for the list, for the whole batch
    portal.settle()
    assert portal.shown(first)[NURTURE_STEP] == "checklist"  # the property write stays the primary channel
    assert portal.twin.request_counts()[LISTS] == 1  # nothing offered again: nobody added again


def test_a_handover_enrolls_the_contact_once_with_its_owner_even_when_the_drain_is_retried(
    delivering_portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    portal = delivering_portal
    sequence_id = portal.twin.create_sequence("After the MQL handover")
    contact_id = portal.buyer(company=FIT_A)
    portal.act(contact_id, "whitepaper")
    portal.settle()
    assert portal.twin.enrollment(contact_id) is None  # nurtured, not handed over: no sequence
    portal.act(contact_id, "demo_request")  # an MQL, handed over to sales

    def die(self: Pipeline, batch: object) -> None:
        raise RuntimeError("the drain died after its effects, before its record")

    with monkeypatch.context() as patched:  # the first drain dies after its HubSpot effects
        patched.setattr(Pipeline, "_write", die)
        with pytest.raises(RuntimeError):
            drain_together(portal, contact_id)
    enrolled = portal.twin.enrollment(contact_id)
    assert enrolled is not None and enrolled["sequenceId"] == sequence_id
    assert enrollments(portal) == [(contact_id, sequence_id, enrolled["id"])]  # kept as soon as HubSpot made it

    drain_together(portal, contact_id)  # the retry finds the handover's enrollment: no second one
    portal.settle()
    assert portal.shown(contact_id)["leadflow_stage"] == "mql"
    owner_id = portal.shown(contact_id)["hubspot_owner_id"]
    (owner,) = [owner for owner in portal.twin.owners() if owner["id"] == owner_id]
    assert (enrolled["enrolledBy"], enrolled["enrolledByEmail"]) == (str(owner["userId"]), owner["email"])
    assert portal.twin.request_counts()[ENROLL] == 1
    assert enrollments(portal) == [(contact_id, sequence_id, enrolled["id"])]
    assert portal.twin.enrollment(contact_id) == enrolled


def test_a_retry_that_lost_the_record_takes_hubspots_enrollment_instead_of_enrolling_twice(
    delivering_portal: Portal,
) -> None:
    portal = delivering_portal
    sequence_id = portal.twin.create_sequence("After the MQL handover")
    contact_id = portal.buyer(company=FIT_A)
    portal.act(contact_id, "whitepaper", "demo_request")
    assert portal.dispatcher.wait_idle(timeout=20)
    pipeline = portal.container.pipeline()
    original_record = portal.container.ledger.nurture.record_enrollment
    lost: list[object] = []

    def record_lost(enrollment: object) -> bool:  # HubSpot enrolled it; the ledger never heard (a crash)
        lost.append(enrollment)
        raise RuntimeError("the worker died before recording the enrollment")

    portal.container.ledger.nurture.record_enrollment = record_lost  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        pipeline.run([contact_id])
    portal.container.ledger.nurture.record_enrollment = original_record  # type: ignore[method-assign]
    assert lost and enrollments(portal) == []

    drain_together(portal, contact_id)
    enrolled = portal.twin.enrollment(contact_id)
    assert enrolled is not None
    assert portal.twin.request_counts()[ENROLL] == 2  # the retry asked; HubSpot refused: the contact was in it
    assert enrollments(portal) == [(contact_id, sequence_id, enrolled["id"])]
    state = portal.container.ledger.contacts.states_of([contact_id])[contact_id]
    assert state.last_error is None


def test_a_failing_list_call_is_kept_on_the_contact_and_the_offer_stands(delivering_portal: Portal) -> None:
    portal = delivering_portal
    assert portal.twin.create_list("Checklist readers (smart)", "DYNAMIC") == "1"  # HubSpot refuses members
    contact_id = portal.buyer()
    portal.act(contact_id, "whitepaper")
    drain_together(portal, contact_id)
    assert portal.offered(contact_id) == [("awareness", "checklist")]
    assert portal.shown(contact_id)[NURTURE_STEP] == "checklist"
    state = portal.container.ledger.contacts.states_of([contact_id])[contact_id]
    assert state.last_error is not None and state.last_error.startswith("nurture list 1: ")
    assert "DYNAMIC" in state.last_error
    assert portal.twin.list_members("1") == []
