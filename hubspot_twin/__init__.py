"""A stateful, in-memory twin of the HubSpot CRM API subset Leadflow uses (tests, demo, benchmarks only)."""

from __future__ import annotations

from hubspot_twin.errors import HubSpotError
from hubspot_twin.http.server import TwinServer
from hubspot_twin.twin import Twin, run

__all__ = ["HubSpotError", "Twin", "TwinServer", "run"]
