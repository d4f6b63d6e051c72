"""No stale work end to end (twin over HTTP, real Redis, SQLite and PostgreSQL): sales rejects an SQL in HubSpot,
and its task is completed with a note and its deal closed lost with the reason."""

from __future__ import annotations

from app.rules.handover.types import handover_key
from app.workers import ThreadWorker
from tests.e2e.test_handover import SQL, Portal, portal  # noqa: F401  (the fixture, with the sales team)


def work(sales: Portal) -> None:
    """Drain what the webhooks marked dirty, as `leadflow worker --burst` does (in this thread)."""
    sales.container.jobs.enqueue("drain")
    ThreadWorker(sales.container).work(burst=True, logging_level="WARNING")


def test_a_rejected_sqls_task_is_completed_and_its_deal_closed_lost(portal: Portal) -> None:  # noqa: F811
    contact_id = portal.contact("Austria", "sql.buyer@at.at", phone="+43 1 5550")
    events = portal.conversions(contact_id, SQL)
    for start in range(0, len(events), 40):
        assert portal.deliver_events(events[start : start + 40]) == 204
    work(portal)
    (task_id,) = portal.tasks_of(contact_id)
    (deal_id,) = portal.deals_of(contact_id)

    portal.twin.update_object("contacts", contact_id, {"hs_lead_status": "UNQUALIFIED"})
    change = portal.events.property_change("contact", contact_id, "hs_lead_status", "UNQUALIFIED")
    assert portal.deliver_events([change]) == 204
    work(portal)

    task = portal.twin.get_object("tasks", task_id)
    assert task["hs_task_status"] == "COMPLETED"
    assert task["hs_task_body"].endswith("Closed by Leadflow: sales rejected the lead (not qualified).")
    deal = portal.twin.get_object("deals", deal_id)
    assert (deal["dealstage"], deal["closed_lost_reason"]) == ("closedlost", "not qualified")
    (handover,) = portal.container.ledger.handovers.of_contacts([contact_id])[contact_id]
    assert handover.key == handover_key(contact_id, "sql", 1)
    assert (handover.end_reason, handover.closed_at is not None) == ("rejected", True)
