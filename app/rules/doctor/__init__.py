"""`leadflow doctor`'s judgements, pure: what the configuration names in the portal (`wanted`), how what the
portal and the installation report compares with it (`portal`, `installation`), and the report (`findings`)."""

from __future__ import annotations

from app.rules.doctor.findings import DoctorReport, Finding, Status
from app.rules.doctor.installation import ProbeAnswer, WorkerSeen

__all__ = ["DoctorReport", "Finding", "ProbeAnswer", "Status", "WorkerSeen"]
