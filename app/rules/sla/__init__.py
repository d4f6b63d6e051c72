"""Response-time SLAs of handovers: config/sla.yaml, business-time targets, the clock points and the status."""

from app.rules.sla.clock import SlaPoints, SlaStatus, sla_points, sla_status
from app.rules.sla.config import parse_sla, sla_file
from app.rules.sla.policy import SlaConfig, Target

__all__ = ["SlaConfig", "SlaPoints", "SlaStatus", "Target", "parse_sla", "sla_file", "sla_points", "sla_status"]
