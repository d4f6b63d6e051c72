"""The KPI dashboard (docs/dashboard.md): a read-only web entry point over the ledger, through the kpis rules.

`auth` lets in the accounts of DASHBOARD_USERS (HTTP Basic) and DASHBOARD_TOKEN; `sources` reads (and briefly
caches) what the pages show; `page` turns that into the panels with app/rules/kpis; `views` is the blueprint.
"""

from __future__ import annotations

from app.dashboard.auth import DashboardAuth
from app.dashboard.sources import DashboardSources, Expiring
from app.dashboard.views import create_dashboard_blueprint

__all__ = ["DashboardAuth", "DashboardSources", "Expiring", "create_dashboard_blueprint"]
