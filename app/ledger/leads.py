"""The portal's lead pipeline as `leadflow setup` resolved it (table `lead_stages`), and the handovers' Leads.

Setup replaces the rows each time it runs: none when the portal has no Leads (or handover.yaml no `leads`), so the
drain makes no Lead; one per stage of the chosen pipeline otherwise, with what it means to Leadflow.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from app.ledger.models import LEAD_STAGES, Handover
from app.rules.handover.leads import LeadStages


def save_lead_stages(connection: Connection, stages: LeadStages | None, at: datetime) -> None:
    """Replace the recorded lead pipeline with `stages` (None: the portal has no Leads for Leadflow)."""
    connection.execute(delete(LEAD_STAGES))
    if stages is None:
        return
    rows = [
        {"stage_id": stage_id, "pipeline_id": stages.pipeline_id, "label": stages.labels.get(stage_id, stage_id),
         "meaning": meaning, "refreshed_at": at}
        for stage_id, meaning in stages.meanings.items()
    ]  # fmt: skip
    connection.execute(insert(LEAD_STAGES), rows)


def lead_stages(connection: Connection) -> LeadStages | None:
    """Return the recorded lead pipeline, or None when setup found no Leads (or has not looked)."""
    rows = connection.execute(select(LEAD_STAGES)).all()
    if not rows:
        return None
    return LeadStages(
        rows[0].pipeline_id, {row.stage_id: row.meaning for row in rows}, {row.stage_id: row.label for row in rows}
    )


def lead_changed(connection: Connection, lead_id: str, at: datetime) -> list[str]:
    """Note that sales changed a Lead (its stage or disqualification reason); return the contacts whose handovers
    carry it, whose next drain reads it."""
    connection.execute(update(Handover).where(Handover.lead_id == lead_id).values(lead_changed_at=at))
    rows = connection.execute(select(Handover.contact_id).where(Handover.lead_id == lead_id).distinct())
    return [contact for (contact,) in rows]
