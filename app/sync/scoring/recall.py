"""The drain step that recalls: it judges the batch's changes awaiting a recall from the contact values the drain
has just read (app/sync/recall.py), before the scoring step reads the contacts' engagements."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from app.ledger.store import Ledger
from app.rules.scoring.signals import RECALL_SUBSCRIPTION, SignalRules
from app.sync.hubspot.gateway import HubSpotGateway
from app.sync.pipeline import Batch, Reads
from app.sync.recall import judge_recalls


@dataclass
class RecallStep:
    """The drain step that judges its contacts' changes awaiting a recall, before they are assessed; it records
    the engagements at once (its own transaction), so the scoring step reads them with the others."""

    rules: SignalRules
    ledger: Ledger
    gateway: HubSpotGateway

    def reads(self) -> Reads:
        changed = self.rules.watched(RECALL_SUBSCRIPTION, "propertyName")
        return Reads(frozenset(self.rules.recalled_properties | changed)) if self.rules.recalled_properties else Reads()

    def prepare(self, batch: Batch) -> None:
        pending = self.ledger.signals.awaiting_recall_of(sorted(batch.members), batch.watermark)
        if not pending:
            return
        current = {contact_id: member.contact for contact_id, member in batch.members.items()}
        resolutions = judge_recalls(self.gateway, self.rules, pending, current)
        self.ledger.signals.record_resolutions(resolutions, batch.now)
        judged = sorted({contact for resolution in resolutions for contact in resolution.contact_ids})
        batch.backlog = {**batch.backlog, **self.ledger.signals.backlog_of(judged, batch.watermark)}

    def plan(self, batch: Batch) -> None:
        """Nothing: the recalled engagements are assessed by the scoring step."""

    def apply(self, batch: Batch) -> None:
        """Nothing: recalling writes nothing to HubSpot."""

    def record(self, batch: Batch, connection: Connection) -> None:
        """Nothing more: the judged changes were recorded before the assessment, and the drain closes them."""
