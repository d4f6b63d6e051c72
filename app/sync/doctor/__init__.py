"""`leadflow doctor`: check a running installation against the portal, read-only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from app.ledger.leads import lead_stages
from app.rules.app_project import features_of
from app.rules.doctor.findings import DoctorReport
from app.rules.doctor.installation import subscription_findings
from app.rules.handover.leads import LeadStages
from app.sync.doctor.context import DoctorContext
from app.sync.doctor.installation import installation_findings
from app.sync.doctor.portal import portal_findings

__all__ = ["DoctorContext", "run_doctor"]


def _recorded_leads(context: DoctorContext) -> LeadStages | None:
    """Return the lead pipeline setup recorded (None also when the ledger cannot be read: its own check says so)."""
    try:
        with context.engine.connect() as connection:
            return lead_stages(connection)
    except SQLAlchemyError:
        return None


def run_doctor(context: DoctorContext, project: Mapping[str, Any] | None = None) -> DoctorReport:
    """Run every check (the installation's, then the portal's, then the subscriptions against `project`, the
    built project's webhooks `config`, when given) and return the findings."""
    found = installation_findings(context)
    found += portal_findings(context.gateway(), context.configuration, lambda: _recorded_leads(context))
    found += subscription_findings(features_of(context.configuration).subscriptions, project)
    return DoctorReport(tuple(found))
