"""What `leadflow twin` builds from its options (`app.twin_runner`): limits and faults in front of the twin, a
seeded portal, the tokens of one private app, and webhooks subscribed to exactly what Leadflow's config needs.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hubspot.utils.signature import Signature

from app.rules import ConfigError, load_configuration
from app.rules.subscriptions import required_subscriptions
from app.twin_options import TwinOptions
from app.twin_runner import PORTAL_ID, build_twin, webhook_settings
from hubspot_twin import Twin, TwinServer
from hubspot_twin.crm.changes import Change, integration
from hubspot_twin.http.faults import FaultPlan

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
TOKEN = "runner-token"
OPTIONS = TwinOptions(  # the command line's defaults, with one token of its own
    port=0,
    host="127.0.0.1",
    tokens=(TOKEN,),
    app_id="4242",
    contacts=0,
    seed=7,
    rate_limit=190,
    daily_limit=625_000,
    fault_429=0.0,
    fault_5xx=0.0,
    fault_slow=0.0,
    slow_seconds=6.0,
    fault_drop=0.0,
    webhook_url=None,
    client_secret="twin-client-secret",
    config_dir=CONFIG_DIR,
)
CONTACTS_PAGE = "/crm/v3/objects/contacts?limit=1"


def options(**changes: Any) -> TwinOptions:
    return replace(OPTIONS, **changes)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def send(server: TwinServer, method: str, path: str, body: Any = None, token: str | None = TOKEN) -> Answer:
    """Send one request to a served twin (through its guard, as `leadflow twin` serves it)."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        return Answer(response.status, dict(response.getheaders()), json.loads(raw) if raw else None)
    finally:
        connection.close()


@pytest.fixture
def serve() -> Iterator[Any]:
    """Serve twins the way `leadflow twin` does (`TwinServer(twin.wsgi)`); stop them after the test."""
    servers: list[TwinServer] = []

    def start(twin: Twin) -> TwinServer:
        server = TwinServer(twin.wsgi).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


# Limits ------------------------------------------------------------------------------------------------------


def test_no_leads_serves_a_portal_without_hubspots_leads_object(serve: Any) -> None:
    with_leads, without = serve(build_twin(OPTIONS)), serve(build_twin(options(leads=False)))
    assert send(with_leads, "GET", "/crm/v3/pipelines/leads").status == 200
    refused = send(without, "GET", "/crm/v3/pipelines/leads")
    assert refused.status == 403 and refused.body["category"] == "MISSING_SCOPES"
    assert send(without, "GET", CONTACTS_PAGE).status == 200  # every other object as before


def test_the_rate_limit_and_the_daily_limit_reach_the_guard() -> None:
    twin = build_twin(options(rate_limit=50, daily_limit=1000))
    assert twin.guard is not None
    assert twin.wsgi is twin.guard
    limits = twin.guard.limits
    assert (limits.ten_second_limit, limits.daily_limit, limits.search_per_second) == (50, 1000, 5)


def test_a_limit_of_zero_means_unlimited() -> None:
    twin = build_twin(options(rate_limit=0, daily_limit=0))
    assert twin.guard is not None
    assert (twin.guard.limits.ten_second_limit, twin.guard.limits.daily_limit) == (None, None)


def test_the_served_twin_refuses_requests_over_the_rate_limit(serve: Any) -> None:
    server = serve(build_twin(options(rate_limit=2)))
    first, second, third = (send(server, "GET", CONTACTS_PAGE) for _ in range(3))
    assert (first.status, second.status) == (200, 200)
    assert first.headers["X-HubSpot-RateLimit-Max"] == "2"
    assert first.headers["X-HubSpot-RateLimit-Daily"] == "625000"
    assert third.status == 429
    assert third.body["policyName"] == "TEN_SECONDLY_ROLLING"


def test_an_unlimited_twin_sends_no_rate_limit_headers(serve: Any) -> None:
    server = serve(build_twin(options(rate_limit=0, daily_limit=0)))
    answers = [send(server, "GET", CONTACTS_PAGE) for _ in range(5)]
    assert {answer.status for answer in answers} == {200}
    assert not any(name.startswith("X-HubSpot-RateLimit") for answer in answers for name in answer.headers)


# Faults ------------------------------------------------------------------------------------------------------


def test_the_fault_shares_and_the_seed_reach_the_fault_plan() -> None:
    built = options(seed=9, fault_429=0.1, fault_5xx=0.2, fault_slow=0.3, slow_seconds=1.5, fault_drop=0.05)
    twin = build_twin(built)
    assert twin.guard is not None
    assert twin.guard.faults == FaultPlan(seed=9, rate_limit=0.1, server_error=0.2, slow=0.3, drop=0.05, delay=1.5)


def test_without_fault_options_no_fault_is_planned() -> None:
    twin = build_twin(OPTIONS)
    assert twin.guard is not None
    assert twin.guard.faults.all_rules() == ()


def test_with_every_request_a_5xx_every_api_request_fails_and_control_paths_still_answer(serve: Any) -> None:
    twin = build_twin(options(fault_5xx=1.0))
    server = serve(twin)
    answers = [send(server, "GET", CONTACTS_PAGE) for _ in range(6)]
    answers.append(send(server, "POST", "/crm/v3/objects/contacts", {"properties": {"email": "ada@example.com"}}))
    assert all(500 <= answer.status <= 599 for answer in answers)
    assert all(answer.body["status"] == "error" for answer in answers)
    assert twin.live_objects("contacts") == []  # a faulted request never reaches the twin
    control = send(server, "GET", "/_twin/stats", token=None)
    assert control.status == 200
    assert control.body["faults"] == {"server_error": 7}


# Tokens and the seeded portal --------------------------------------------------------------------------------


def test_only_the_given_tokens_are_accepted_and_their_writes_are_the_apps(serve: Any) -> None:
    twin = build_twin(options(tokens=(TOKEN, "second-token"), app_id="777"))
    seen: list[Change] = []
    twin.feed.subscribe(seen.append)
    server = serve(twin)
    assert send(server, "GET", CONTACTS_PAGE, token="someone-else").status == 401
    created = send(server, "POST", "/crm/v3/objects/contacts", {"properties": {"email": "ada@example.com"}})
    assert created.status == 201
    assert send(server, "GET", CONTACTS_PAGE, token="second-token").status == 200
    assert [change.source for change in seen] == [integration("777")]


def undated(twin: Twin) -> list[tuple[str, dict[str, str]]]:
    """Return the live contacts without their dates (`leadflow twin` runs on the wall clock)."""
    dated = {"createdate", "lastmodifieddate"}
    return [
        (cid, {k: v for k, v in props.items() if k not in dated}) for cid, _, props in twin.live_objects("contacts")
    ]


def test_contacts_seeds_that_many_contacts_with_a_sales_team_the_same_for_the_same_seed() -> None:
    twin = build_twin(options(contacts=25, seed=3))
    assert len(twin.live_objects("contacts")) == 25
    assert len(twin.owners()) == 8  # six reps in two territories, the head of sales, marketing-ops
    assert twin.live_objects("companies")
    assert undated(build_twin(options(contacts=25, seed=3))) == undated(twin)
    assert undated(build_twin(options(contacts=25, seed=4))) != undated(twin)


def test_without_contacts_the_portal_is_empty() -> None:
    twin = build_twin(OPTIONS)
    assert twin.live_objects("contacts") == []
    assert twin.live_objects("companies") == []
    assert twin.owners() == []


# Webhooks ----------------------------------------------------------------------------------------------------


def test_the_webhooks_subscribe_to_exactly_what_leadflows_config_needs() -> None:
    settings = webhook_settings(OPTIONS, "http://127.0.0.1:9/webhooks/hubspot")
    config = load_configuration(CONFIG_DIR)
    assert config.sla is not None
    wanted = required_subscriptions(config.model, config.signals, config.handover, config.sla.first_touch)
    assert ("object.creation", None, "0-49") in [
        (s.subscription_type, s.property_name, s.object_type_id) for s in wanted
    ]
    subscribed = [(s.subscription_type, s.property_name, s.object_type_id) for s in settings.subscriptions]
    assert subscribed == [(s.subscription_type, s.property_name, s.object_type_id) for s in wanted]
    assert all(s.active for s in settings.subscriptions)
    assert settings.target_url == "http://127.0.0.1:9/webhooks/hubspot"
    assert (settings.client_secret, settings.app_id, settings.portal_id) == ("twin-client-secret", 4242, PORTAL_ID)


def test_a_config_that_cannot_be_read_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"scoring\.yaml"):
        webhook_settings(options(config_dir=tmp_path), "http://127.0.0.1:9/webhooks/hubspot")


class Receiver:
    """A webhook endpoint that records every POST and answers 204."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.arrived = threading.Event()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {
            key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items() if key[:5] == "HTTP_"
        }
        self.requests.append((headers, body))
        self.arrived.set()
        start_response("204 No Content", [])
        return [b""]


def test_the_twin_signs_and_delivers_leadflows_webhooks_to_the_url() -> None:
    receiver = Receiver()
    with TwinServer(receiver).start() as endpoint:  # type: ignore[arg-type]
        url = f"{endpoint.url}/webhooks/hubspot"
        twin = build_twin(options(webhook_url=url, client_secret="s3cret"))
        dispatcher = twin.start_webhooks(webhook_settings(options(client_secret="s3cret"), url))
        try:
            twin.create_object("contacts", {"email": "ada@example.com", "jobtitle": "CTO"})
            assert dispatcher.wait_idle(timeout=5)
        finally:
            dispatcher.stop(drain=False)
    assert receiver.arrived.is_set()
    headers, body = receiver.requests[0]
    events = json.loads(body)
    assert {event["subscriptionType"] for event in events} >= {"contact.creation", "contact.propertyChange"}
    assert {event["appId"] for event in events} == {4242}
    assert Signature.is_valid(
        signature=headers["x-hubspot-signature-v3"],
        client_secret="s3cret",
        request_body=body.decode(),
        http_uri=url,
        http_method="POST",
        signature_version="v3",
        timestamp=int(headers["x-hubspot-request-timestamp"]),
    )
