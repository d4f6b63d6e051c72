"""One twin per test module, served on a free port; each test starts from a fresh portal and zero counts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hubspot import HubSpot

from hubspot_twin import Twin, TwinServer
from tests.integration.twin.support import TOKEN


@pytest.fixture(scope="module")
def twin() -> Twin:
    """Return the module's twin."""
    return Twin(access_tokens={TOKEN})


@pytest.fixture(scope="module")
def server(twin: Twin) -> Iterator[TwinServer]:
    """Serve the module's twin in a background thread."""
    with twin.serve(host="127.0.0.1", port=0) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh_portal(twin: Twin) -> None:
    """Start every test from a fresh portal with no requests counted."""
    twin.reset()
    twin.reset_request_counts()


@pytest.fixture(scope="module")
def client(server: TwinServer) -> HubSpot:
    """Return the official SDK pointed at the twin, validating every model it builds or reads."""
    return HubSpot(access_token=TOKEN, host=server.url, client_side_validation=True)
