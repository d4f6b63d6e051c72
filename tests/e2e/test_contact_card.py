"""The contact card's endpoint end to end: `hubspot.fetch` calls signed as HubSpot signs them (v3, with the query
parameters HubSpot adds) against Leadflow's web app over HTTP; the twin over HTTP through the official client; a
real Redis and both ledgers. An answer given on the card lands on the contact in HubSpot and is recorded by the
next drain exactly as one given in HubSpot; a refused request stores nothing, anywhere."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
import redis
import requests

from app import create_app
from app.rules.card.view import iso
from app.sync.hubspot.sdk import SdkGateway
from app.sync.setup import run_setup
from hubspot_twin import Twin, TwinServer
from hubspot_twin.http.faults import FaultPlan, FaultRule
from hubspot_twin.http.guard import GuardConfig
from hubspot_twin.simulator.portal import SALES_TEAM
from hubspot_twin.webhooks.handmade import EventFactory
from hubspot_twin.webhooks.signing import sign_v3
from tests.e2e.conftest import Pipeline
from tests.e2e.test_handover import MQL, POLICY, Portal
from tests.support.app import ACCESS_TOKEN, APP_ID, CLIENT_SECRET, make_container

PORTAL_ID = "62515"
SIGNED_QUERY = {"userId": "9001", "userEmail": "dana.fischer@example.com", "appId": APP_ID, "portalId": PORTAL_ID}


@dataclass
class Card:
    """Leadflow's web app as the contact card calls it through HubSpot, and the portal behind it."""

    portal: Portal
    web_url: str

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | str | None = None,
        *,
        secret: str = CLIENT_SECRET,
        timestamp_ms: int | None = None,
        query: dict[str, str] | None = None,
        signed: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """Send a request as HubSpot's `hubspot.fetch` proxy does: the query it adds, the v3 signature (of what
        `signed` says — `method`, `query`, `body` — instead of what is sent, to tamper with a request)."""
        url = f"{self.web_url}{path}?{urlencode(SIGNED_QUERY if query is None else query)}"
        text = body if isinstance(body, str) else json.dumps(body) if body is not None else ""
        timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
        signed = signed or {}
        signed_url = f"{self.web_url}{path}?{urlencode(signed['query'])}" if "query" in signed else url
        signature = sign_v3(secret, signed.get("method", method), signed_url, signed.get("body", text), timestamp)
        sent = {"Content-Type": "application/json", "X-HubSpot-Signature-v3": signature,
                "X-HubSpot-Request-Timestamp": timestamp}  # fmt: skip
        return requests.request(method, url, data=text.encode() or None, headers=sent if headers is None else headers,
                                timeout=60)  # fmt: skip

    def pipeline(self) -> Pipeline:
        return Pipeline(self.portal.twin, self.portal.container, self.portal.webhook_url, self.portal.events)

    def handed_over(self, email: str) -> str:
        """Return a new contact whose MQL handover the drain has carried out."""
        contact_id = self.portal.contact("Germany", email)
        assert self.portal.deliver_events(self.portal.conversions(contact_id, MQL)) == 204
        self.pipeline().work()
        (handover,) = self.portal.container.ledger.handovers.of_contacts([contact_id])[contact_id]
        assert (handover.status, handover.outcome) == ("done", None)
        return contact_id


@pytest.fixture
def card(ledger_url: str, redis_client: redis.Redis) -> Iterator[Card]:
    twin = Twin(access_tokens={ACCESS_TOKEN}, apps={ACCESS_TOKEN: APP_ID}, limits=GuardConfig())
    owners = {email: twin.create_owner(email, *name.split(" ", 1), teams=[team]) for name, email, team, _ in SALES_TEAM}
    with twin.serve() as server:
        container = make_container(
            ledger_url,
            redis_client,
            gateway_factory=lambda: SdkGateway(ACCESS_TOKEN, server.url, (2.0, 10.0), POLICY),
            settings={"hubspot_api_base": server.url, "hubspot_portal_id": PORTAL_ID},
        )
        run_setup(
            container.gateway(), container.ledger, container.model, container.clock,
            handover=container.handover_config, nurture=container.nurture_config,
        )  # fmt: skip
        with TwinServer(create_app(container=container)).start() as web:
            events = EventFactory(app_id=int(APP_ID))
            portal = Portal(twin, server.url, owners, container, f"{web.url}/webhooks/hubspot", events)
            yield Card(portal, web.url)
        container.ledger.engine.dispose()


def test_the_card_shows_a_handed_over_lead_and_its_rejection_is_recorded_by_the_next_drain(card: Card) -> None:
    container = card.portal.container
    contact_id = card.handed_over("anna.card@kessler.de")
    (handover,) = container.ledger.handovers.of_contacts([contact_id])[contact_id]

    shown = card.call("GET", f"/card/contacts/{contact_id}")
    assert shown.status_code == 200, shown.text
    document = shown.json()
    contact = card.portal.twin.get_object("contacts", contact_id)
    assert document["state"] == "handed_over"
    assert document["scores"]["reasons"] == contact["leadflow_score_reasons"]  # the very text Leadflow wrote
    assert str(document["scores"]["score"]) == contact["leadflow_score"]
    assert document["handover"]["key"] == handover.key
    assert document["handover"]["lead_id"] == handover.lead_id is not None  # the portal has Leads
    assert document["handover"]["owner_id"] == contact["hubspot_owner_id"] == handover.owner_id
    assert document["handover"]["sla"]["due_at"] == iso(handover.sla_due_at)
    assert document["handover"]["sla"]["status"] in ("on_track", "at_risk")  # assigned a moment ago
    assert document["answers"]["enabled"] is True
    assert {"value": "BAD_TIMING", "label": "bad timing"} in document["answers"]["reject_reasons"]

    answered = card.call("POST", f"/card/contacts/{contact_id}/answer", {"answer": "rejected", "reason": "BAD_TIMING"})
    assert answered.status_code == 202, answered.text
    assert answered.json()["handover"] == handover.key
    assert card.portal.twin.get_object("contacts", contact_id)["hs_lead_status"] == "BAD_TIMING"
    assert container.ledger.handovers.of_contacts([contact_id])[contact_id][0].outcome is None  # the drain records it
    assert container.worklist.dirty_count() == 1

    card.pipeline().work()
    first = container.ledger.handovers.of_contacts([contact_id])[contact_id][0]
    assert (first.status, first.outcome, first.outcome_reason) == ("recycled", "rejected", "bad timing")
    after = card.call("GET", f"/card/contacts/{contact_id}").json()
    assert after["state"] == "recycled"
    assert (after["last_answer"]["outcome"], after["last_answer"]["reason"]) == ("rejected", "bad timing")
    assert after["answers"]["enabled"] is False


def test_an_acceptance_from_the_card_is_recorded_and_a_second_answer_is_refused(
    card: Card, caplog: pytest.LogCaptureFixture
) -> None:
    container = card.portal.container
    contact_id = card.handed_over("ben.card@kessler.de")
    with caplog.at_level(logging.INFO, logger="app.sync.card"):
        answered = card.call("POST", f"/card/contacts/{contact_id}/answer", {"answer": "accepted"})
    assert answered.status_code == 202, answered.text
    assert answered.json()["written"] == {"hs_lead_status": "ATTEMPTED_TO_CONTACT"}
    (written,) = [record for record in caplog.records if record.getMessage() == "card.answer-written"]
    assert (written.contact, written.user) == (contact_id, SIGNED_QUERY["userId"])  # type: ignore[attr-defined]
    card.pipeline().work()
    (handover,) = container.ledger.handovers.of_contacts([contact_id])[contact_id]
    assert (handover.status, handover.outcome) == ("done", "accepted")
    assert card.call("GET", f"/card/contacts/{contact_id}").json()["state"] == "accepted"

    again = card.call("POST", f"/card/contacts/{contact_id}/answer", {"answer": "rejected", "reason": "UNQUALIFIED"})
    assert (again.status_code, again.json()["error"]) == (409, "no-open-handover")
    assert card.portal.twin.get_object("contacts", contact_id)["hs_lead_status"] == "ATTEMPTED_TO_CONTACT"


def test_every_refused_request_gets_its_own_answer_and_stores_nothing(card: Card) -> None:
    container = card.portal.container
    contact_id = card.handed_over("carla.card@kessler.de")
    before = card.portal.twin.get_object("contacts", contact_id)
    path, answer = f"/card/contacts/{contact_id}/answer", {"answer": "accepted"}
    stale = int((time.time() - 600) * 1000)
    refused = {
        "unsigned GET": (card.call("GET", f"/card/contacts/{contact_id}", headers={}), 401, "signature-missing"),
        "unsigned POST": (card.call("POST", path, answer, headers={}), 401, "signature-missing"),
        "stale": (card.call("POST", path, answer, timestamp_ms=stale), 401, "timestamp-stale"),
        "wrong secret": (card.call("POST", path, answer, secret="another-app-secret"), 401, "signature-invalid"),
        "body swapped": (card.call("POST", path, answer, signed={"body": '{"answer": "rejected"}'}), 401,
                         "signature-invalid"),
        "user swapped": (card.call("POST", path, answer, query={**SIGNED_QUERY, "userId": "1"},
                                   signed={"query": SIGNED_QUERY}), 401, "signature-invalid"),
        "method swapped": (card.call("POST", path, answer, signed={"method": "GET"}), 401, "signature-invalid"),
        "other portal": (card.call("POST", path, answer, query={**SIGNED_QUERY, "portalId": "1"}), 403,
                         "portal-mismatch"),
        "unknown contact GET": (card.call("GET", "/card/contacts/987654321"), 404, "unknown-contact"),
        "unknown contact POST": (card.call("POST", "/card/contacts/987654321/answer", answer), 404,
                                 "unknown-contact"),
        "not a contact id": (card.call("GET", "/card/contacts/abc"), 400, "contact-id-invalid"),
        "unknown answer": (card.call("POST", path, {"answer": "maybe"}), 400, "answer-unknown"),
        "no reason": (card.call("POST", path, {"answer": "rejected"}), 400, "reason-missing"),
        "reason not listed": (card.call("POST", path, {"answer": "rejected", "reason": "no_budget"}), 400,
                              "reason-unknown"),
        "reason on accept": (card.call("POST", path, {"answer": "accepted", "reason": "x"}), 400, "reason-not-taken"),
        "not JSON": (card.call("POST", path, "answer=accepted"), 400, "body-invalid"),
        "extra field": (card.call("POST", path, {"answer": "accepted", "owner": "1"}), 400, "body-invalid"),
        "too large": (card.call("POST", path, {"answer": "accepted", "reason": "x" * 5000}), 413, "body-too-large"),
    }  # fmt: skip
    for name, (response, status, error) in refused.items():
        assert (response.status_code, response.json()["error"]) == (status, error), (name, response.text)
    assert card.portal.twin.get_object("contacts", contact_id) == before
    assert container.worklist.dirty_count() == 0
    assert container.ledger.handovers.of_contacts([contact_id])[contact_id][0].outcome is None


def test_a_hubspot_failure_is_answered_with_its_reason_and_nothing_is_recorded(card: Card) -> None:
    container = card.portal.container
    contact_id = card.handed_over("dora.card@kessler.de")
    before = card.portal.twin.get_object("contacts", contact_id)
    path = f"/card/contacts/{contact_id}/answer"
    assert card.portal.twin.guard is not None
    rule = FaultRule("server_error", share=1.0, method="POST", path="/crm/v3/objects/contacts/batch/update", status=503)
    card.portal.twin.guard.set_faults(FaultPlan(rules=(rule,)))
    failed = card.call("POST", path, {"answer": "accepted"})
    assert (failed.status_code, failed.json()["error"]) == (503, "hubspot-unavailable"), failed.text
    card.portal.twin.guard.set_faults(FaultPlan())
    assert card.portal.twin.get_object("contacts", contact_id) == before

    card.portal.twin.archive_object("contacts", contact_id)  # HubSpot no longer has the contact: refused for good
    refused = card.call("POST", path, {"answer": "accepted"})
    assert refused.status_code == 502, refused.text
    assert refused.json()["error"] == "hubspot-refused"
    assert container.ledger.handovers.of_contacts([contact_id])[contact_id][0].outcome is None
