"""The SDK gateway's two doctor reads over HTTP against the twin: the token's scopes (private-app token
introspection) and the deal pipelines with their stages in display order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.sync.hubspot.errors import PermanentHubSpotError
from app.sync.hubspot.gateway import DealPipeline
from app.sync.hubspot.retry import RetryPolicy
from app.sync.hubspot.sdk import SdkGateway
from hubspot_twin import Twin
from hubspot_twin.catalog.scopes import PORTAL_SCOPES
from hubspot_twin.crm.pipelines import StageSpec

TOKEN = "doctor-token"
POLICY = RetryPolicy(attempts=2, max_seconds=5, initial_backoff=0.01, max_backoff=0.02)


@pytest.fixture
def portal() -> Iterator[tuple[Twin, str]]:
    twin = Twin(access_tokens={TOKEN})
    with twin.serve() as server:
        yield twin, server.url


def test_the_token_scopes_are_those_the_portal_granted(portal: tuple[Twin, str]) -> None:
    twin, url = portal
    gateway = SdkGateway(TOKEN, url, (2.0, 5.0), POLICY)

    assert gateway.token_scopes() == PORTAL_SCOPES
    twin.grant_scopes(TOKEN, ["oauth", "crm.objects.contacts.read"])
    assert gateway.token_scopes() == frozenset({"oauth", "crm.objects.contacts.read"})


def test_a_token_the_portal_refuses_is_a_401(portal: tuple[Twin, str]) -> None:
    _twin, url = portal

    with pytest.raises(PermanentHubSpotError) as refused:
        SdkGateway("revoked", url, (2.0, 5.0), POLICY).token_scopes()
    assert refused.value.status == 401


def test_the_deal_pipelines_come_with_their_stage_ids_in_display_order(portal: tuple[Twin, str]) -> None:
    twin, url = portal
    stages = [
        StageSpec("Won", 1.0, True, "won"),
        StageSpec("New", 0.1, False, "new"),
        StageSpec("Lost", 0.0, True, "lost"),
    ]
    twin.create_pipeline("Partner deals", stages, pipeline_id="partner")

    pipelines = {p.id: p for p in SdkGateway(TOKEN, url, (2.0, 5.0), POLICY).deal_pipelines()}

    assert pipelines["partner"] == DealPipeline("partner", "Partner deals", ("won", "new", "lost"))
    assert pipelines["default"].stage_ids[0] == "appointmentscheduled"
    assert "closedlost" in pipelines["default"].stage_ids
