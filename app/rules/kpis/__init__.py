"""The funnel KPIs (docs/kpis.md): lead-cycle facts in, the report's figures, JSON object and table out. Pure."""

from __future__ import annotations

from app.rules.kpis.facts import LeadCycle, facts_to_json_lines, format_instant, parse_facts, parse_instant
from app.rules.kpis.figures import KpiReport
from app.rules.kpis.periods import Period
from app.rules.kpis.report import compute_kpis, kpi_report

__all__ = [
    "KpiReport",
    "LeadCycle",
    "Period",
    "compute_kpis",
    "facts_to_json_lines",
    "format_instant",
    "kpi_report",
    "parse_facts",
    "parse_instant",
]
