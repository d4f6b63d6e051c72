"""HubSpot's error bodies at the edge, the twin's control endpoints, its Python API and its CLI."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

from hubspot import HubSpot
from hubspot.crm.contacts import SimplePublicObjectInputForCreate

from hubspot_twin import Twin, TwinServer
from tests.integration.twin.support import TIMEOUT, api_error, call

ROOT = Path(__file__).resolve().parents[3]
AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more "
    "details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


def test_a_request_without_a_token_is_hubspots_401(server: TwinServer) -> None:
    reply = call(server, "GET", "/crm/v3/objects/contacts", token=None)

    assert reply.status == 401
    assert reply.body["status"] == "error"
    assert reply.body["category"] == "INVALID_AUTHENTICATION"
    assert reply.body["message"] == AUTH_MESSAGE
    assert reply.body["correlationId"]


def test_a_request_with_an_unknown_token_is_a_401_through_the_sdk(server: TwinServer) -> None:
    stranger = HubSpot(access_token="not-the-token", host=server.url)

    status, body = api_error(lambda: stranger.crm.contacts.basic_api.get_page(_request_timeout=TIMEOUT))

    assert status == 401
    assert body["category"] == "INVALID_AUTHENTICATION"


def test_an_unknown_route_is_a_404_with_hubspots_error_body(server: TwinServer) -> None:
    reply = call(server, "GET", "/crm/v3/nothing/here")

    assert reply.status == 404
    assert set(reply.body) >= {"status", "message", "correlationId", "category"}


def test_malformed_json_is_a_400(server: TwinServer) -> None:
    reply = call(server, "POST", "/crm/v3/objects/contacts", '{"properties": {"email": ')

    assert reply.status == 400
    assert reply.body["category"] == "VALIDATION_ERROR"
    assert reply.body["message"].startswith("Invalid input JSON on line 1, column")


def test_a_body_without_properties_is_a_400_naming_the_missing_attribute(server: TwinServer) -> None:
    reply = call(server, "POST", "/crm/v3/objects/contacts", {"props": {}})

    assert reply.status == 400
    assert reply.body["message"].endswith("some of required attributes are not set [properties]")


def test_the_request_counter_counts_per_endpoint_with_ids_replaced(client: HubSpot, server: TwinServer) -> None:
    created = client.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"email": "count@example.com"}), _request_timeout=TIMEOUT
    )
    for _ in range(2):
        client.crm.contacts.basic_api.get_by_id(created.id, _request_timeout=TIMEOUT)
    call(server, "GET", "/crm/v3/objects/contacts", token=None)

    reply = call(server, "GET", "/_twin/requests", token=None)

    assert reply.status == 200
    assert reply.body == {
        "counts": {
            "GET /crm/v3/objects/contacts": 1,
            "GET /crm/v3/objects/contacts/{id}": 2,
            "POST /crm/v3/objects/contacts": 1,
        },
        "total": 4,
    }


def test_the_control_endpoints_reset_counts_and_state_without_being_counted(
    client: HubSpot, server: TwinServer, twin: Twin
) -> None:
    twin.create_object("contacts", {"email": "reset@example.com"})
    client.crm.contacts.basic_api.get_page(_request_timeout=TIMEOUT)

    counts_reset = call(server, "POST", "/_twin/requests/reset", token=None)
    state_reset = call(server, "POST", "/_twin/reset", token=None)

    assert (counts_reset.status, state_reset.status) == (200, 200)
    assert twin.total_requests() == 0
    assert client.crm.contacts.basic_api.get_page(_request_timeout=TIMEOUT).results == []
    assert twin.request_counts() == {"GET /crm/v3/objects/contacts": 1}


def test_the_python_api_reports_the_same_counts(client: HubSpot, twin: Twin) -> None:
    client.crm.properties.core_api.get_by_name("contacts", "email", _request_timeout=TIMEOUT)

    assert twin.request_counts() == {"GET /crm/v3/properties/contacts/email": 1}
    assert twin.total_requests() == 1
    twin.reset_request_counts()
    assert twin.total_requests() == 0


def test_concurrent_creates_get_distinct_ids(client: HubSpot, twin: Twin) -> None:
    ids: list[str] = []
    lock = threading.Lock()

    def create_many(worker: int) -> None:
        api = client.crm.contacts.basic_api
        for n in range(10):
            created = api.create(
                SimplePublicObjectInputForCreate(properties={"email": f"w{worker}-{n}@example.com"}),
                _request_timeout=TIMEOUT,
            )
            with lock:
                ids.append(created.id)

    threads = [threading.Thread(target=create_many, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(set(ids)) == 60
    assert twin.request_counts() == {"POST /crm/v3/objects/contacts": 60}


def test_a_stopped_server_can_be_stopped_again() -> None:
    twin = Twin()
    server = twin.serve()
    reply = call(server, "GET", "/crm/v3/objects/contacts", token="any-token-will-do")
    server.stop()
    server.stop()

    assert reply.status == 200


def test_the_command_line_serves_a_twin_until_interrupted() -> None:
    leadflow = str(Path(sys.executable).parent / "leadflow")
    process = subprocess.Popen(
        [leadflow, "twin", "--port", "0", "--token", "cli-token"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        serving = next(line for line in process.stdout if line.startswith("HubSpot twin serving on "))
        url = serving.strip().rsplit(" ", 1)[-1]
        cli = HubSpot(access_token="cli-token", host=url)
        page = cli.crm.contacts.basic_api.get_page(_request_timeout=TIMEOUT)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()

    assert url.startswith("http://127.0.0.1:")
    assert page.results == []
    assert process.returncode == 0
