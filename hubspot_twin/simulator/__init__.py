"""The buyer-journey simulator: a seeded portal whose contacts behave like buyers, and a sales team that reacts.

Everything it does goes through the twin the way HubSpot's own processes would do it (form submissions,
email clicks, page views, sales reps working tasks), so every change reaches subscribers as webhooks.
"""

from __future__ import annotations

from hubspot_twin.simulator.clock import SimClock
from hubspot_twin.simulator.portal import SeededPortal, seed_portal
from hubspot_twin.simulator.simulation import Simulation, SimulationReport

__all__ = ["SeededPortal", "SimClock", "Simulation", "SimulationReport", "seed_portal"]
