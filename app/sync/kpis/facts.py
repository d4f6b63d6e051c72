"""The KPI facts of the ledger (docs/kpis.md): its rows, read in one transaction, built into lead cycles by the
pure rules — for `leadflow kpis`, the dashboard and the demo."""

from __future__ import annotations

from collections.abc import Collection

from app.ledger.store import Ledger
from app.rules.kpis.cycles import MQL, SQL, facts_of
from app.rules.kpis.facts import LeadCycle


def ledger_facts(ledger: Ledger, qualified_stages: Collection[str] = (MQL, SQL)) -> list[LeadCycle]:
    """Return the facts of every lead cycle the ledger holds; `qualified_stages`: the model's mql and above."""
    rows = ledger.kpis.rows()
    return facts_of(rows.contacts, rows.entries, rows.handovers, rows.backfilled, rows.first_seen, qualified_stages)
