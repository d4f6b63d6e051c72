"""`leadflow doctor`: check a running installation against the portal, read-only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.rules.app_project import features_of
from app.rules.doctor.findings import DoctorReport
from app.rules.doctor.installation import subscription_findings
from app.sync.doctor.context import DoctorContext
from app.sync.doctor.installation import installation_findings
from app.sync.doctor.portal import portal_findings

__all__ = ["DoctorContext", "run_doctor"]


def run_doctor(context: DoctorContext, project: Mapping[str, Any] | None = None) -> DoctorReport:
    """Run every check (the installation's, then the portal's, then the subscriptions against `project`, the
    built project's webhooks `config`, when given) and return the findings."""
    found = installation_findings(context)
    found += portal_findings(context.gateway(), context.configuration)
    found += subscription_findings(features_of(context.configuration).subscriptions, project)
    return DoctorReport(tuple(found))
