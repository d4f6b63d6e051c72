"""The SLA watch on the in-memory HubSpot with the shipped config (sql-a: one business hour, reminders at 50 and
80 %, escalation at 100 % to the manager by task, one reassignment at 150 %): each step once, whatever reruns,
interleaved workers and crashes do; the contact shows the clock."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from app.ledger.models import Handover
from app.ledger.records import HandoverRecord
from app.rules.handover.types import Owner
from app.sync.hubspot.errors import TransientHubSpotError
from app.sync.sla.watch import SlaWatchContext, SlaWatchReport, watch_sla
from tests.integration.sync.conftest import SQL, Portal


def sql_lead(portal: Portal, email: str = "jonas.meier@pumpen.de") -> str:
    contact_id = portal.lead(email, phone="+49 30 5550")
    portal.converts(contact_id, *SQL)
    portal.drain()
    return contact_id


def handover(portal: Portal, contact_id: str) -> HandoverRecord:
    (record,) = portal.container.ledger.handovers.of_contacts([contact_id])[contact_id]
    return record


def watch(portal: Portal) -> SlaWatchReport:
    return watch_sla(portal.container.provide(SlaWatchContext))


def at(portal: Portal, record: HandoverRecord, minutes: float) -> None:
    """Move the clock to `minutes` after the assignment (inside Wednesday's business hours)."""
    portal.clock.now = record.assigned_at + timedelta(minutes=minutes)


def fired(portal: Portal, key: str) -> list[str]:
    return [step for _, step, when, _ in portal.container.ledger.sla.steps_of([key]) if when is not None]


def touch(portal: Portal, contact_id: str, when: datetime) -> None:
    with portal.container.ledger.transaction() as connection:
        connection.execute(
            update(Handover)
            .where(Handover.contact_id == contact_id)
            .values(first_touch_at=when, first_touch_kind="call")
        )


def test_a_handover_starts_its_clock_and_its_task_is_due_at_the_sla_due_time(portal: Portal) -> None:
    contact_id = sql_lead(portal)
    record = handover(portal, contact_id)
    assert record.sla_target == "sql-a"
    assert record.sla_due_at == record.due_at == record.assigned_at + timedelta(hours=1)
    (task,) = portal.hubspot.records["task"].values()
    assert task["hs_timestamp"].startswith(f"{record.sla_due_at:%Y-%m-%dT%H:%M}")
    steps = [step for _, step, _, _ in portal.container.ledger.sla.steps_of([record.key])]
    assert steps == ["reminder:50", "reminder:80", "escalation", "reassignment:1"]


def test_an_untouched_sql_is_reminded_escalated_and_reassigned_once_each(portal: Portal) -> None:
    contact_id = sql_lead(portal)
    record = handover(portal, contact_id)
    dana = portal.owners["dana.fuchs@example.com"]
    assert record.owner_id == dana
    at(portal, record, 29)
    assert watch(portal).reminders == 0
    at(portal, record, 31)
    assert watch(portal).reminders == 1
    assert watch(portal).reminders == 0  # a rerun fires nothing again
    at(portal, record, 49)
    assert watch(portal).reminders == 1
    at(portal, record, 61)
    report = watch(portal)
    assert (report.escalations, report.reminders) == (1, 0)
    assert watch(portal).escalations == 0
    olaf = portal.owners["olaf.otto@example.com"]
    escalation_tasks = [
        t for t in portal.hubspot.records["task"].values() if t["leadflow_handover_id"].endswith("-escalation")
    ]
    assert [(t["hubspot_owner_id"], t["leadflow_handover_id"]) for t in escalation_tasks] == [
        (olaf, f"{record.key}-escalation")
    ]
    assert handover(portal, contact_id).escalations == 1
    at(portal, record, 91)
    assert watch(portal).reassignments == 1
    assert watch(portal).reassignments == 0
    moved = handover(portal, contact_id)
    assert moved.owner_id not in (None, dana)
    assert (moved.reassignments, moved.earlier_owners) == (1, dana)
    assert moved.reassigned_reason and moved.reassigned_reason.startswith(
        "reassigned: no first touch after 91 business minutes"
    )
    assert portal.contact(contact_id)["hubspot_owner_id"] == moved.owner_id
    task = portal.hubspot.records["task"][moved.task_id or ""]
    deal = portal.hubspot.records["deal"][moved.deal_id or ""]
    assert task["hubspot_owner_id"] == deal["hubspot_owner_id"] == moved.owner_id
    # The new owner's fresh clock: one business hour from the reassignment; no second reassignment (max_times 1).
    assert moved.sla_clock_at == portal.clock.now
    assert moved.sla_due_at == portal.clock.now + timedelta(hours=1)
    at(portal, record, 91 + 200)
    report = watch(portal)
    assert (report.escalations, report.reassignments, report.skipped) == (1, 0, 2)
    assert watch(portal) == SlaWatchReport(contacts_written=0)
    assert fired(portal, record.key) == [
        "reminder:50", "reminder:80", "escalation", "reassignment:1", "reminder:50/1", "reminder:80/1", "escalation/1"
    ]  # fmt: skip
    assert handover(portal, contact_id).escalations == 2


def test_a_first_touch_stops_the_clock_and_shows_met_with_its_business_minutes(portal: Portal) -> None:
    contact_id = sql_lead(portal)
    record = handover(portal, contact_id)
    touch(portal, contact_id, record.assigned_at + timedelta(minutes=20))
    at(portal, record, 200)
    report = watch(portal)
    assert (report.reminders, report.escalations, report.reassignments, report.contacts_written) == (0, 0, 0, 1)
    contact = portal.contact(contact_id)
    assert (contact["leadflow_sla_status"], contact["leadflow_response_business_minutes"]) == ("met", "20")
    assert contact["leadflow_first_touch_at"].startswith(f"{record.assigned_at + timedelta(minutes=20):%Y-%m-%dT%H:%M}")
    assert fired(portal, record.key) == []
    assert watch(portal).contacts_written == 0  # final: never written again


def test_the_status_moves_with_time_and_is_written_only_when_it_changes(portal: Portal) -> None:
    contact_id = sql_lead(portal)
    record = handover(portal, contact_id)
    statuses = []
    for minutes in (1, 10, 31, 40, 61, 62):
        at(portal, record, minutes)
        portal.hubspot.calls.clear()
        watch(portal)
        statuses.append(
            (
                portal.contact(contact_id)["leadflow_sla_status"],
                portal.hubspot.request_counts()[("update_objects", "contact")],
            )
        )
    assert statuses == [
        ("on_track", 1), ("on_track", 0), ("at_risk", 1), ("at_risk", 0), ("breached", 1), ("breached", 0)
    ]  # fmt: skip
    touch(portal, contact_id, portal.clock.now)
    watch(portal)
    assert portal.contact(contact_id)["leadflow_sla_status"] == "missed"


def test_two_interleaved_watches_fire_each_step_once(portal: Portal) -> None:
    contact_id = sql_lead(portal)
    record = handover(portal, contact_id)
    at(portal, record, 61)
    ledger = portal.container.ledger
    context = portal.container.provide(SlaWatchContext)
    (step,) = [s for s in ledger.sla.due_steps(portal.clock.now) if s.step == "escalation"]
    assert ledger.sla.claim(step.id, portal.clock.now, context.lease)  # another worker holds the escalation
    report = watch(portal)
    assert report.escalations == 0 and report.skipped == 2  # the reminders it superseded, not the held step
    assert not ledger.sla.claim(step.id, portal.clock.now, context.lease)


class Killed(BaseException):
    """The worker dies here (SIGKILL): nothing after this line of the watch runs."""


def escalation_tasks(portal: Portal) -> list[str]:
    """The handover keys of the escalation tasks in HubSpot, one per task."""
    keys = [t["leadflow_handover_id"] for t in portal.hubspot.records["task"].values()]
    return sorted(key for key in keys if key.endswith("-escalation"))


LEADS = ("jonas.meier@pumpen.de", "lena.berg@ventile.de", "ole.hansen@getriebe.de", "mia.wolf@lager.de")


def test_the_escalations_due_in_one_run_cost_one_task_upsert_and_one_association_create_not_one_each(
    portal: Portal,
) -> None:
    records = [handover(portal, sql_lead(portal, email)) for email in LEADS]
    at(portal, records[0], 61)
    portal.hubspot.calls.clear()
    report = watch(portal)
    assert (report.escalations, report.failed) == (len(LEADS), 0)
    counts = portal.hubspot.request_counts()
    tasks = [call for call in portal.hubspot.calls if call.operation == "upsert_objects"]
    assert [(call.object_type, call.records) for call in tasks] == [("task", len(LEADS))]  # per 100: one request
    assert counts[("create_associations", "task→contact")] == 1
    assert sum(n for (operation, _), n in counts.items() if operation in ("upsert_objects", "create_associations")) == 2
    assert escalation_tasks(portal) == sorted(f"{r.key}-escalation" for r in records)
    for record in records:
        (detail,) = [d for _, step, _, d in portal.container.ledger.sla.steps_of([record.key]) if step == "escalation"]
        task_id = next(i for i, t in portal.hubspot.records["task"].items()
                       if t["leadflow_handover_id"] == f"{record.key}-escalation")  # fmt: skip
        assert detail is not None and f"task {task_id}" in detail
    assert watch(portal).escalations == 0


def test_an_escalation_task_hubspot_refuses_is_recorded_in_its_step_and_the_others_go_out(portal: Portal) -> None:
    refused, other = (handover(portal, sql_lead(portal, email)) for email in LEADS[:2])
    portal.hubspot.refuse("task", f"{refused.key}-escalation", "PROPERTY_DOESNT_EXIST: hs_task_subject")
    at(portal, refused, 61)
    report = watch(portal)
    assert (report.escalations, report.failed) == (2, 0)
    details = {key: d for key, step, _, d in portal.container.ledger.sla.steps_of([refused.key, other.key])
               if step == "escalation"}  # fmt: skip
    assert "task refused: PROPERTY_DOESNT_EXIST: hs_task_subject" in (details[refused.key] or "")
    assert "refused" not in (details[other.key] or "")
    assert escalation_tasks(portal) == [f"{other.key}-escalation"]
    assert handover(portal, refused.contact_id).escalations == handover(portal, other.contact_id).escalations == 1


def test_a_hubspot_error_releases_every_escalation_of_the_batch_and_the_next_run_fires_each_once(
    portal: Portal,
) -> None:
    records = [handover(portal, sql_lead(portal, email)) for email in LEADS[:3]]
    at(portal, records[0], 61)
    portal.hubspot.fail_next("upsert_objects", TransientHubSpotError("HubSpot answered 502"))
    report = watch(portal)
    assert (report.failed, report.escalations, report.skipped) == (3, 0, 3 * 2)  # the reminders it superseded
    assert report.contacts_written == 3  # the statuses are written all the same
    assert [handover(portal, r.contact_id).escalations for r in records] == [0, 0, 0]
    assert watch(portal).escalations == 3  # the next run, no lease to wait for
    assert watch(portal).escalations == 0
    assert [handover(portal, r.contact_id).escalations for r in records] == [1, 1, 1]
    assert escalation_tasks(portal) == sorted(f"{r.key}-escalation" for r in records)


def test_a_worker_killed_between_claim_and_effect_escalates_once_after_the_lease(portal: Portal) -> None:
    contact_id = sql_lead(portal)
    record = handover(portal, contact_id)
    at(portal, record, 61)
    portal.hubspot.fail_next("upsert_objects", Killed())  # type: ignore[arg-type]
    with pytest.raises(Killed):
        watch(portal)
    assert handover(portal, contact_id).escalations == 0
    assert watch(portal).escalations == 0  # still claimed by the dead worker
    portal.clock.advance(minutes=11)  # past the lease
    assert watch(portal).escalations == 1
    assert watch(portal).escalations == 0
    assert handover(portal, contact_id).escalations == 1
    escalations = [
        t for t in portal.hubspot.records["task"].values() if t["leadflow_handover_id"].endswith("-escalation")
    ]
    assert len(escalations) == 1


def test_leadflow_sla_lists_open_clocks_by_owner_as_a_table_and_as_json(
    portal: Portal, ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from app.cli import main
    from tests.conftest import REDIS_URL

    contact_id = sql_lead(portal)
    record = handover(portal, contact_id)
    for minutes in (31, 61):
        at(portal, record, minutes)
        watch(portal)
    # The owners' names come from the team the workers keep in Redis (no HubSpot answers on port 9).
    for name, value in {"LEADFLOW_ENV": "development", "HUBSPOT_ACCESS_TOKEN": "pat-test", "DATABASE_URL": ledger_url,
                        "REDIS_URL": REDIS_URL, "HUBSPOT_API_BASE": "http://127.0.0.1:9"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    table = CliRunner().invoke(main, ["sla"])
    assert table.exit_code == 0, table.output
    assert table.stderr == ""
    lines = table.stdout.splitlines()
    (name,) = [owner.name for owner in portal.hubspot.team if owner.id == record.owner_id]
    assert lines[0] == f"owner {name} ({record.owner_id})"
    assert lines[1].split() == [
        "contact",
        "stage",
        "target",
        "assigned",
        "due",
        "status",
        "minutes",
        "rem",
        "esc",
        "reas",
    ]
    assert lines[2].split()[:3] == [contact_id, "sql", "sql-a"]
    assert lines[2].split()[-3:] == ["1", "1", "0"]  # reminder:50 sent (reminder:80 skipped), escalated, not moved
    assert lines[-1] == "1 open handover(s) with an SLA clock: 1 breached"
    document = json.loads(CliRunner().invoke(main, ["sla", "--json"]).stdout)
    (group,) = document["owners"]
    (row,) = group["handovers"]
    assert (group["owner"], group["name"], row["handover"], row["status"], row["escalations"]) == (
        record.owner_id,
        name,
        record.key,
        "breached",
        1,
    )
    assert row["due_at"] == f"{record.sla_due_at:%Y-%m-%dT%H:%M:%S}Z"


def test_leadflow_sla_shows_owner_ids_and_says_why_when_hubspot_cannot_name_the_owners(
    portal: Portal, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import _owner_names
    from app.sla_report import sla_lines, sla_rows

    contact_id = sql_lead(portal)
    record = handover(portal, contact_id)

    def no_answer() -> dict[str, Owner]:
        raise TransientHubSpotError("list owners: no answer from HubSpot")

    names = _owner_names(SimpleNamespace(handovers=SimpleNamespace(team=no_answer)))  # type: ignore[arg-type]
    assert names == {}
    assert (
        capsys.readouterr().err == "owner names unavailable (list owners: no answer from HubSpot); showing owner ids\n"
    )
    sla = portal.container.sla
    assert sla is not None
    lines = sla_lines(sla_rows(sla, portal.container.ledger.sla.open_clocks(), portal.clock(), names))
    assert lines[0] == f"owner {record.owner_id}"


def test_forgetting_a_contact_deletes_its_clock_steps_too(portal: Portal) -> None:
    contact_id = sql_lead(portal)
    record = handover(portal, contact_id)
    ledger = portal.container.ledger
    assert len(ledger.sla.steps_of([record.key])) == 4
    ledger.privacy.forget([contact_id], "request", portal.clock.now)
    assert ledger.sla.steps_of([record.key]) == []
    at(portal, record, 200)
    assert watch(portal) == SlaWatchReport()


def test_a_worker_killed_mid_reassignment_moves_the_lead_once_to_the_owner_routing_chose(portal: Portal) -> None:
    contact_id = sql_lead(portal)
    record = handover(portal, contact_id)
    for minutes in (31, 49, 61):
        at(portal, record, minutes)
        watch(portal)
    at(portal, record, 91)
    portal.hubspot.fail_next("update_objects", Killed())  # type: ignore[arg-type]
    with pytest.raises(Killed):
        watch(portal)  # routing chose the new owner, then the worker died moving the contact
    (chosen,) = [s for s in portal.container.ledger.sla.due_steps(portal.clock.now) if s.step == "reassignment:1"]
    assert chosen.decided_owner not in (None, record.owner_id)
    assert handover(portal, contact_id).owner_id == record.owner_id
    cursors = portal.container.ledger.handovers.routing_state().cursors
    portal.clock.advance(minutes=11)
    assert watch(portal).reassignments == 1
    assert watch(portal).reassignments == 0
    moved = handover(portal, contact_id)
    assert (moved.owner_id, moved.reassignments) == (chosen.decided_owner, 1)
    assert portal.contact(contact_id)["hubspot_owner_id"] == chosen.decided_owner
    assert portal.container.ledger.handovers.routing_state().cursors == cursors  # routed once, not again


def test_a_status_write_hubspot_left_unanswered_is_written_again_once_its_recheck_is_due(portal: Portal) -> None:
    contact_id = sql_lead(portal)
    record = handover(portal, contact_id)
    recheck = timedelta(seconds=portal.container.settings.hubspot_recheck_seconds)
    assert recheck < timedelta(minutes=30)
    portal.clock.now = record.assigned_at + timedelta(minutes=31) - recheck / 2  # on track
    portal.hubspot.leave_unanswered()  # HubSpot may apply it late, over the next write
    watch(portal)
    assert handover(portal, contact_id).sla_written.startswith("recheck@")  # type: ignore[union-attr]
    at(portal, record, 31)  # at risk: written (certainly), the earlier write's recheck still pending
    watch(portal)
    assert handover(portal, contact_id).sla_written.startswith("recheck@")  # type: ignore[union-attr]
    portal.hubspot.change("contact", contact_id, {"leadflow_sla_status": "on_track"})  # the late write lands
    portal.hubspot.calls.clear()
    portal.clock.now = record.assigned_at + timedelta(minutes=31) + recheck / 2  # the recheck is due
    watch(portal)
    assert portal.hubspot.request_counts()[("update_objects", "contact")] == 1
    assert portal.contact(contact_id)["leadflow_sla_status"] == "at_risk"
    assert handover(portal, contact_id).sla_written == f"at_risk|{int(record.due_at.timestamp())}|"  # type: ignore[union-attr]
    portal.hubspot.calls.clear()
    watch(portal)
    assert portal.hubspot.request_counts()[("update_objects", "contact")] == 0  # nothing pending any more
