"""Re-scoring: walk every contact of the portal, a page of 100 ids per HubSpot request."""

from __future__ import annotations

from collections.abc import Iterator

from app.sync.gateway import HubSpotGateway


def contact_id_pages(gateway: HubSpotGateway) -> Iterator[list[str]]:
    """Yield the portal's contact ids, one page (up to 100) at a time."""
    after: str | None = None
    while True:
        ids, after = gateway.list_ids("contact", after)
        if ids:
            yield ids
        if after is None:
            return
