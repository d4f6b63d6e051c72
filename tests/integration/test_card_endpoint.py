"""The contact card's endpoint on a real ledger (SQLite and PostgreSQL) and a real Redis, where no HubSpot is
needed: a configuration without handover.yaml, and an installation without a client secret."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask.testing import FlaskClient

from app import create_app
from app.bootstrap import Container
from hubspot_twin.webhooks.signing import sign_v3
from tests.support.app import CLIENT_SECRET, ROOT, make_container

QUERY = "userId=9001&userEmail=dana%40example.com&appId=4242&portalId=62515"


def signed(method: str, path: str, body: str = "") -> dict[str, str]:
    timestamp = str(int(time.time() * 1000))
    uri = f"http://localhost{path}?{QUERY}"
    return {"X-HubSpot-Signature-v3": sign_v3(CLIENT_SECRET, method, uri, body, timestamp),
            "X-HubSpot-Request-Timestamp": timestamp, "Content-Type": "application/json"}  # fmt: skip


@pytest.fixture
def scoring_only(tmp_path: Path, ledger_url: str, redis_client: redis.Redis) -> Iterator[Container]:
    """Leadflow scoring only: the shipped configuration less handover.yaml (and the SLA and routing it needs)."""
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    for name in ("handover.yaml", "sla.yaml", "routing.yaml"):
        (config / name).unlink()
    container = make_container(ledger_url, redis_client, settings={"leadflow_config": config})
    yield container
    container.ledger.engine.dispose()


def test_without_handover_yaml_an_answer_is_refused_before_anything_is_read_or_written(
    scoring_only: Container,
) -> None:
    client: FlaskClient = create_app(container=scoring_only).test_client()
    path, body = "/card/contacts/1001/answer", json.dumps({"answer": "accepted"})
    response = client.post(f"{path}?{QUERY}", data=body, headers=signed("POST", path, body))
    assert (response.status_code, response.json["error"]) == (409, "handover-not-configured")  # type: ignore[index]
    assert scoring_only.worklist.dirty_count() == 0
    assert scoring_only.queue.count == 0


def test_without_a_client_secret_every_card_request_is_refused(ledger_url: str, redis_client: redis.Redis) -> None:
    container = make_container(ledger_url, redis_client, settings={"hubspot_client_secret": None})
    try:
        client = create_app(container=container).test_client()
        path = "/card/contacts/1001"
        response = client.get(f"{path}?{QUERY}", headers=signed("GET", path))
        assert (response.status_code, response.json["error"]) == (401, "secret-missing")  # type: ignore[index]
    finally:
        container.ledger.engine.dispose()
