"""No stale work: when a handover ends, the drain closes what Leadflow created for it in HubSpot (in-memory HubSpot,
shipped configuration), once; the ended handover frees its owner's slot; a rejection without a reason from the
configured list is flagged."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from app.bootstrap import build_container
from app.rules.handover.types import handover_key
from app.sync.handover.notify import NotificationResult, Payload
from app.sync.handover.orphans import CloseWorkContext, CloseWorkReport, close_orphaned_tasks
from app.sync.hubspot.fake import InMemoryHubSpot
from app.sync.hubspot.gateway import TASK_TO_DEAL
from tests.integration.sync.conftest import MQL, SQL, TEAM, Clock, Portal
from tests.support.app import ROOT, make_settings

NOTE = "Closed by Leadflow:"


def tasks(portal: Portal) -> dict[str, dict[str, str]]:
    return {key: dict(values) for key, values in portal.hubspot.records["task"].items()}


def task_of(portal: Portal, key: str) -> dict[str, str]:
    return next(values for values in tasks(portal).values() if values.get("leadflow_handover_id") == key)


def open_tasks(portal: Portal) -> list[str]:
    return [
        values["leadflow_handover_id"]
        for values in tasks(portal).values()
        if values.get("hs_task_status") != "COMPLETED"
    ]


def handovers(portal: Portal, contact_id: str) -> list:  # type: ignore[type-arg]
    return portal.container.ledger.handovers.of_contacts([contact_id])[contact_id]


def sql_lead(portal: Portal) -> str:
    contact_id = portal.lead("jonas.meier@pumpen.de", phone="+49 30 5550")
    portal.converts(contact_id, *SQL)
    portal.drain()
    return contact_id


def test_a_rejected_sql_has_its_task_completed_and_its_deal_closed_lost_with_the_reason(portal: Portal) -> None:
    contact_id = sql_lead(portal)
    key = handover_key(contact_id, "sql", 1)
    portal.clock.advance(hours=1)
    portal.changed(contact_id, hs_lead_status="UNQUALIFIED")
    portal.hubspot.calls.clear()
    report = portal.drain()
    task = task_of(portal, key)
    assert task["hs_task_status"] == "COMPLETED"
    assert task["hs_task_body"].endswith(f"\n\n{NOTE} sales rejected the lead (not qualified).")
    (deal,) = portal.hubspot.records["deal"].values()
    assert (deal["dealstage"], deal["closed_lost_reason"]) == ("closedlost", "not qualified")
    (handover,) = handovers(portal, contact_id)
    assert (handover.end_reason, handover.ended_at, handover.closed_at) == ("rejected", portal.clock(), portal.clock())
    assert report.effects["closed"] == 1
    # One batch read and one batch update for the tasks, and for the deals.
    counts = portal.hubspot.request_counts()
    assert (counts[("read_objects", "task")], counts[("update_objects", "task")]) == (1, 1)
    assert (counts[("read_objects", "deal")], counts[("update_objects", "deal")]) == (1, 1)


def test_closing_again_changes_nothing(portal: Portal) -> None:
    contact_id = sql_lead(portal)
    portal.changed(contact_id, hs_lead_status="UNQUALIFIED")
    portal.drain()
    before = tasks(portal)
    portal.hubspot.calls.clear()
    portal.created(contact_id)
    portal.drain()
    counts = portal.hubspot.request_counts()
    assert counts[("update_objects", "task")] == counts[("update_objects", "deal")] == 0
    assert tasks(portal) == before
    # Had the drain died before recording the close, closing again would find both closed and write nothing.
    ledger = portal.container.ledger
    with ledger.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE handovers SET closed_at = NULL")
    portal.hubspot.calls.clear()
    portal.created(contact_id)
    portal.drain()
    counts = portal.hubspot.request_counts()
    assert counts[("update_objects", "task")] == counts[("update_objects", "deal")] == 0
    assert (counts[("read_objects", "task")], counts[("read_objects", "deal")]) == (1, 1)
    assert tasks(portal) == before


def test_a_task_sales_completed_is_left_as_it_is(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, *MQL)
    portal.drain()
    (task_id,) = tasks(portal)
    portal.hubspot.change("task", task_id, {"hs_task_status": "COMPLETED", "hs_task_body": "called, not now"})
    portal.changed(contact_id, hs_lead_status="BAD_TIMING")
    portal.drain()
    assert tasks(portal)[task_id]["hs_task_body"] == "called, not now"


def test_an_mql_becoming_sql_keeps_one_open_task_and_the_mql_task_says_why_it_closed(portal: Portal) -> None:
    contact_id = portal.lead("jonas.meier@pumpen.de", phone="+49 30 5550")
    portal.converts(contact_id, *MQL)
    portal.drain()
    portal.clock.advance(hours=2)
    portal.converts(contact_id, *SQL)
    portal.drain()
    assert open_tasks(portal) == [handover_key(contact_id, "sql", 1)]
    mql_task = task_of(portal, handover_key(contact_id, "mql", 1))
    assert mql_task["hs_task_status"] == "COMPLETED"
    assert mql_task["hs_task_body"].endswith(
        f"{NOTE} superseded by the Sales qualified lead handover of this lead, which has its own task."
    )
    assert len(portal.hubspot.records["deal"]) == 1
    mql, sql = handovers(portal, contact_id)
    assert (mql.end_reason, mql.closed_at is not None, sql.ended_at) == ("superseded", True, None)


def test_a_deleted_contacts_open_task_is_completed_with_a_note(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, *MQL)
    portal.drain()
    portal.hubspot.delete("contact", contact_id)
    portal.deliver(portal.event("contact.deletion", contact_id))
    portal.drain()
    (task,) = tasks(portal).values()
    assert task["hs_task_status"] == "COMPLETED"
    assert task["hs_task_body"].endswith(f"{NOTE} the contact was deleted in HubSpot.")
    (handover,) = handovers(portal, contact_id)
    assert handover.end_reason == "deleted"


def test_a_won_deal_completes_the_handover_task_still_open(portal: Portal) -> None:
    contact_id = sql_lead(portal)
    (deal_id,) = portal.hubspot.records["deal"]
    portal.hubspot.change("deal", deal_id, {"dealstage": "closedwon"})
    portal.deliver(portal.event("deal.propertyChange", deal_id, propertyName="dealstage", propertyValue="closedwon"))
    portal.drain()
    (task,) = tasks(portal).values()
    assert (task["hs_task_status"], task["hs_task_body"].endswith(f"{NOTE} the deal was won.")) == ("COMPLETED", True)
    assert portal.hubspot.records["deal"][deal_id]["dealstage"] == "closedwon"  # untouched
    (handover,) = handovers(portal, contact_id)
    assert (handover.end_reason, handover.closed_at is not None) == ("won", True)


def test_the_data_task_is_completed_when_the_missing_data_arrives(portal: Portal) -> None:
    contact_id = portal.lead("jonas.meier@pumpen.de")  # no phone: the SQL handover waits for it
    portal.converts(contact_id, *SQL)
    portal.drain()
    assert task_of(portal, f"{handover_key(contact_id, 'sql', 1)}-data").get("hs_task_status") != "COMPLETED"
    portal.clock.advance(hours=1)
    portal.changed(contact_id, phone="+49 30 5550")
    portal.drain()
    done = task_of(portal, f"{handover_key(contact_id, 'sql', 1)}-data")
    assert (done["hs_task_status"], done["hs_task_body"].endswith(f"{NOTE} the missing data arrived.")) == (
        "COMPLETED",
        True,
    )
    assert open_tasks(portal) == [handover_key(contact_id, "sql", 1)]
    assert portal.container.ledger.handovers.open_data_tasks([contact_id]) == {}


def close_work(portal: Portal) -> CloseWorkReport:
    return close_orphaned_tasks(portal.container.provide(CloseWorkContext))


def test_a_privacy_deletion_erases_the_contact_and_close_work_completes_its_open_tasks(portal: Portal) -> None:
    blocked = portal.lead("jonas.meier@pumpen.de")  # no phone: handed over as MQL, the SQL waits with a data task
    handed_over = portal.lead("anna.keller@kessler.de")
    portal.converts(blocked, *SQL)
    portal.converts(handed_over, *MQL)
    portal.drain()
    assert len(open_tasks(portal)) == 3
    for contact_id in (blocked, handed_over):
        portal.hubspot.delete("contact", contact_id)
        portal.deliver(portal.event("contact.privacyDeletion", contact_id))
    ledger = portal.container.ledger
    assert ledger.handovers.of_contacts([blocked, handed_over]) == {}  # erased at once, the task ids kept alone
    assert len(ledger.privacy.orphaned_tasks(100)) == 3
    portal.hubspot.calls.clear()
    assert close_work(portal) == CloseWorkReport(tasks=3)
    assert portal.hubspot.request_counts() == {("read_objects", "task"): 1, ("update_objects", "task"): 1}
    assert open_tasks(portal) == []
    assert all(
        task["hs_task_body"].endswith(f"{NOTE} the contact was deleted in HubSpot.") for task in tasks(portal).values()
    )
    portal.hubspot.calls.clear()
    assert close_work(portal) == CloseWorkReport()  # nothing left: no request
    assert portal.hubspot.request_counts() == {}


def test_leadflow_forget_leaves_hubspots_tasks_alone(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, *MQL)
    portal.drain()
    portal.container.ledger.privacy.forget([contact_id], "forget", portal.clock())
    assert portal.container.ledger.privacy.orphaned_tasks(100) == {}
    assert close_work(portal) == CloseWorkReport() and len(open_tasks(portal)) == 1


def test_ended_handovers_free_their_owners_slots(portal: Portal) -> None:
    rejected, superseded = portal.lead("anna.keller@kessler.de"), portal.lead("jonas.meier@pumpen.de", phone="+1")
    portal.converts(rejected, *MQL)
    portal.converts(superseded, *MQL)
    portal.drain()
    ledger = portal.container.ledger
    assert sum(ledger.handovers.routing_state().open_handovers.values()) == 2
    portal.changed(rejected, hs_lead_status="UNQUALIFIED")
    portal.converts(superseded, *SQL)
    portal.drain()
    # Left: the SQL handover only (the rejected one and the superseded MQL are no one's work any more).
    (sql,) = [h for h in handovers(portal, superseded) if h.ended_at is None]
    assert ledger.handovers.routing_state().open_handovers == {sql.owner_id: 1}


class Notifications:
    def __init__(self) -> None:
        self.sent: list[Payload] = []

    def notify(self, payload: Payload) -> NotificationResult:
        self.sent.append(payload)
        return NotificationResult(True)


@contextmanager
def portal_with_handover_yaml(
    ledger_url: str, redis_client: redis.Redis, tmp_path: Path, old: str, new: str
) -> Iterator[Portal]:
    """The portal with the shipped config, `old` replaced by `new` once in its handover.yaml."""
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    handover = config / "handover.yaml"
    handover.write_text(handover.read_text().replace(old, new, 1))
    hubspot = InMemoryHubSpot()
    owners = {email: hubspot.add_owner(email, name) for email, name in TEAM.items()}
    clock = Clock()
    settings = make_settings(ledger_url, leadflow_config=config)
    container = build_container(settings, redis=redis_client, gateway_factory=lambda: hubspot, clock=clock)
    yield Portal(hubspot, container, clock, owners)
    container.ledger.engine.dispose()


@pytest.fixture
def reasons_portal(
    ledger_url: str, redis_client: redis.Redis, tmp_path: Path
) -> Iterator[tuple[Portal, Notifications]]:
    """The portal with handover.yaml listing the rejection reasons sales picks in `leadflow_reject_reason`."""
    reasons = "    BAD_TIMING: bad timing\n  reasons: {no_budget: No budget, no_need: No need}\n"
    with portal_with_handover_yaml(
        ledger_url, redis_client, tmp_path, "    BAD_TIMING: bad timing\n", reasons
    ) as portal:
        sent = Notifications()
        portal.container._notifier = lambda: sent  # type: ignore[method-assign]  # the owner's messages, as Slack gets them
        yield portal, sent


def test_a_rejection_without_a_reason_is_flagged_on_the_contact_in_the_ledger_and_to_the_owner(
    reasons_portal: tuple[Portal, Notifications],
) -> None:
    portal, sent = reasons_portal
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, *MQL)
    portal.drain()
    portal.changed(contact_id, hs_lead_status="UNQUALIFIED")
    report = portal.drain()
    flag = portal.contact(contact_id)["leadflow_feedback_missing"]
    assert flag == "Marketing qualified lead: rejected without a reason (pick one in 'Reject reason')"
    (handover,) = handovers(portal, contact_id)
    assert (handover.outcome, handover.outcome_reason, handover.feedback_issue) == (
        "rejected",
        "not qualified",
        "missing",
    )
    (message,) = sent.sent
    assert message["text"].startswith("Dana Fuchs: Anna Tester was rejected without a reason from the list")
    assert report.effects["feedback_flagged"] == 1
    # Sales picks a reason afterwards: recorded on the handover, the flag cleared.
    portal.changed(contact_id, leadflow_reject_reason="no_budget")
    portal.drain()
    assert portal.contact(contact_id).get("leadflow_feedback_missing") is None
    (handover,) = handovers(portal, contact_id)
    assert (handover.outcome_reason, handover.feedback_issue) == ("no_budget", "late")


def test_a_rejection_with_a_listed_reason_records_it_and_closes_the_deal_with_its_label(
    reasons_portal: tuple[Portal, Notifications],
) -> None:
    portal, sent = reasons_portal
    contact_id = sql_lead(portal)
    portal.hubspot.change("contact", contact_id, {"leadflow_reject_reason": "no_need"})
    portal.changed(contact_id, hs_lead_status="UNQUALIFIED")
    portal.drain()
    (handover,) = handovers(portal, contact_id)
    assert (handover.outcome_reason, handover.feedback_issue) == ("no_need", None)
    (deal,) = portal.hubspot.records["deal"].values()
    assert (deal["dealstage"], deal["closed_lost_reason"]) == ("closedlost", "No need")
    assert "leadflow_feedback_missing" not in portal.contact(contact_id)
    assert [m for m in sent.sent if "rejected" in m["text"]] == []


def test_a_reason_not_in_the_list_is_flagged_as_unknown(reasons_portal: tuple[Portal, Notifications]) -> None:
    portal, _ = reasons_portal
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, *MQL)
    portal.drain()
    portal.hubspot.change("contact", contact_id, {"leadflow_reject_reason": "too_expensive"})
    portal.changed(contact_id, hs_lead_status="UNQUALIFIED")
    portal.drain()
    flag = portal.contact(contact_id)["leadflow_feedback_missing"]
    assert flag == "Marketing qualified lead: rejected with 'too_expensive', not one of the configured reasons"
    assert handovers(portal, contact_id)[0].feedback_issue == "unknown"


def test_a_merged_contacts_own_handover_ends_and_its_task_is_completed(portal: Portal) -> None:
    survivor, merged = portal.lead("anna.keller@kessler.de"), portal.lead("a.keller@kessler.de")
    portal.converts(survivor, *MQL)
    portal.converts(merged, *MQL)
    portal.drain()
    portal.deliver(
        portal.event("contact.merge", survivor, primaryObjectId=int(survivor), mergedObjectIds=[int(merged)])
    )
    portal.drain()
    # The survivor has its own MQL handover of cycle 1: the merged contact's stays under its id, ended, its task closed.
    merged_task = task_of(portal, handover_key(merged, "mql", 1))
    assert merged_task["hs_task_status"] == "COMPLETED"
    assert merged_task["hs_task_body"].endswith(
        f"{NOTE} the contact was merged into another contact, whose handover goes on."
    )
    assert [key for key in open_tasks(portal) if "mql" in key] == [handover_key(survivor, "mql", 1)]
    (ended,) = handovers(portal, merged)
    assert ended.end_reason == "merged"


@pytest.fixture
def mql_deal_portal(ledger_url: str, redis_client: redis.Redis, tmp_path: Path) -> Iterator[Portal]:
    """The portal with a deal already at the MQL stage (the shipped file creates deals at SQL only)."""
    deal = "    deal: {stage: qualifiedtobuy, name: 'MQL {contact.lastname}'}\n    notify: false\n"
    with portal_with_handover_yaml(ledger_url, redis_client, tmp_path, "    notify: false\n", deal) as portal:
        yield portal


def test_the_sql_handover_takes_over_the_mql_deal_so_the_cycle_keeps_one_deal(mql_deal_portal: Portal) -> None:
    portal = mql_deal_portal
    contact_id = portal.lead("jonas.meier@pumpen.de", phone="+49 30 5550")
    portal.converts(contact_id, *MQL)
    portal.drain()
    (deal_id,) = portal.hubspot.records["deal"]
    portal.converts(contact_id, *SQL)
    portal.drain()
    (deal,) = portal.hubspot.records["deal"].values()
    assert (deal["dealname"], deal["dealstage"]) == ("pumpen.de GmbH – Jonas Tester", "appointmentscheduled")
    assert deal["leadflow_handover_id"] == handover_key(contact_id, "mql", 1)  # the key it was created with
    mql, sql = handovers(portal, contact_id)
    assert (mql.deal_id, sql.deal_id, mql.end_reason) == (deal_id, deal_id, "superseded")
    assert open_tasks(portal) == [handover_key(contact_id, "sql", 1)]
    sql_task = next(
        tid for tid, v in tasks(portal).items() if v["leadflow_handover_id"] == handover_key(contact_id, "sql", 1)
    )
    assert portal.hubspot.links.of(("task", sql_task), "deal") == [(deal_id, TASK_TO_DEAL)]
    # Rejected, the SQL handover closes the one deal as lost.
    portal.changed(contact_id, hs_lead_status="UNQUALIFIED")
    portal.drain()
    assert portal.hubspot.records["deal"][deal_id]["dealstage"] == "closedlost"
