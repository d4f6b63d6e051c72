"""The KPI facts from the ledger (SQLite and PostgreSQL), after the drain, the feedback and the SLA recorded a real
lead's way through the funnel on the in-memory HubSpot; and `leadflow kpis` on the ledger equals the report of its
own exported facts."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from app.demo.dashboard import dashboard_server
from app.kpis_report import backfill_output
from app.rules.kpis import compute_kpis
from app.sync.kpis.backfill import BackfillContext
from app.sync.kpis.facts import ledger_facts
from tests.conftest import REDIS_URL
from tests.integration.sync.conftest import SQL, Portal

CREATED = "2026-10-01T08:00:00.000Z"


def won_lead(portal: Portal) -> tuple[str, str]:
    """A lead that becomes SQL, is handed over, accepted by a lead status, and whose deal is won; and one that never
    qualifies. Returns both contact ids."""
    contact_id = portal.lead("jonas.meier@pumpen.de", phone="+49 30 5550", createdate=CREATED)
    quiet = portal.lead("lena.lang@lang.de", createdate=CREATED)
    portal.created(contact_id, quiet)
    portal.converts(contact_id, *SQL)
    portal.drain()
    portal.clock.advance(minutes=20)
    portal.changed(contact_id, hs_lead_status="CONNECTED")  # a touch and an acceptance
    portal.drain()
    portal.clock.advance(days=3)
    (deal_id,) = portal.hubspot.records["deal"]
    portal.hubspot.change("deal", deal_id, {"dealstage": "closedwon"})
    portal.deliver(portal.event("deal.propertyChange", deal_id, propertyName="dealstage", propertyValue="closedwon"))
    portal.drain()
    return contact_id, quiet


def test_a_won_leads_cycle_is_read_from_the_ledger(portal: Portal) -> None:
    contact_id, quiet = won_lead(portal)
    facts = {fact.contact: fact for fact in ledger_facts(portal.container.ledger)}
    assert set(facts) == {contact_id, quiet}
    assert facts[quiet].mql_at is None and facts[quiet].created_at is not None
    fact = facts[contact_id]
    (handover,) = portal.container.ledger.handovers.of_contacts([contact_id])[contact_id]
    assert fact.cycle == 1 and fact.created_at is not None and f"{fact.created_at:%Y-%m-%dT%H:%M}" == CREATED[:16]
    assert fact.mql_at == fact.sql_at == handover.assigned_at  # straight to SQL, handed over in the same drain
    assert (fact.handed_over_at, fact.owner, fact.due_at) == (handover.done_at, handover.owner_id, handover.due_at)
    assert fact.qualified_signal_at is not None and fact.qualified_signal_at <= fact.mql_at
    assert fact.first_touch_at == fact.accepted_at == handover.first_touch_at == fact.mql_at + timedelta(minutes=20)
    assert fact.deal_created_at == handover.done_at and fact.won_at == handover.deal_outcome_at
    assert (fact.rejected_at, fact.lost_at) == (None, None) and fact.grade_at_mql is not None

    report = compute_kpis(facts.values(), fact.mql_at - timedelta(days=1), portal.clock(), portal.clock())
    funnel = report.window.funnel
    assert (funnel["leads"], funnel["mqls"], funnel["sqls"], funnel["accepted"], funnel["won"]) == (0, 1, 1, 1, 1)


def test_leadflow_kpis_on_the_ledger_equals_the_report_of_its_exported_facts(
    portal: Portal, ledger_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    won_lead(portal)
    for name, value in {"LEADFLOW_ENV": "development", "HUBSPOT_ACCESS_TOKEN": "pat-test", "DATABASE_URL": ledger_url,
                        "REDIS_URL": REDIS_URL, "HUBSPOT_API_BASE": "http://127.0.0.1:9"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    exported = tmp_path / "facts.jsonl"
    written = CliRunner().invoke(main, ["kpis", "--export-facts", str(exported)])
    assert written.exit_code == 0, written.output
    assert written.stdout == f"wrote 2 lead cycle(s) to {exported}\n"
    window = ["--from", "2026-09-01", "--to", "2027-01-01", "--as-of", f"{portal.clock():%Y-%m-%dT%H:%M:%S}Z", "--json"]
    from_ledger = CliRunner().invoke(main, ["kpis", *window])
    from_file = CliRunner().invoke(main, ["kpis", "--facts", str(exported), *window])
    assert from_ledger.exit_code == from_file.exit_code == 0, from_ledger.output + from_file.output
    document = json.loads(from_ledger.stdout)
    assert document == json.loads(from_file.stdout)
    assert (document["funnel"]["leads"], document["funnel"]["mqls"], document["funnel"]["won"]) == (2, 1, 1)
    assert document["rates"]["sla_met"] == 1  # touched 20 minutes after the handover, within its target

    owners = CliRunner().invoke(main, ["kpis", *window[:-1], "--breakdown", "owner"])
    assert owners.exit_code == 0, owners.output
    (fact,) = [f for f in ledger_facts(portal.container.ledger) if f.owner]
    (name,) = [owner.name for owner in portal.hubspot.team if owner.id == fact.owner]
    (line,) = [line for line in owners.stdout.splitlines() if line.startswith(f"  {name} ({fact.owner})"[:27])]
    assert line.split()[-5:-2] == ["100.0", "%", "(n=1)"]  # closed won: the owner's one MQL was won


def test_the_demo_serves_the_dashboard_with_a_token_of_its_own(portal: Portal) -> None:
    won_lead(portal)
    server, url = dashboard_server(portal.container, 0, "from=2026-09-01&to=2027-01-01")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            page = response.read().decode()
        assert response.status == 200 and "<svg" in page and "Leadflow dashboard" in page
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url.split("&token=")[0], timeout=10)
        refused.value.close()  # its socket: left open, it would be reported later, in another test
        assert refused.value.code in (401, 403)
    finally:
        server.shutdown()
        server.server_close()


def test_the_backfill_says_what_it_read_and_leaves_the_ledgers_own_facts_alone(portal: Portal) -> None:
    won_lead(portal)
    before = ledger_facts(portal.container.ledger)
    portal.hubspot.change("contact", before[0].contact or "", {"lifecyclestage": "marketingqualifiedlead"})
    (deal_id,) = portal.hubspot.records["deal"]
    portal.hubspot.change("deal", deal_id, {"createdate": CREATED})  # HubSpot sets it; the in-memory HubSpot does not
    notes: list[str] = []
    text = backfill_output(portal.container.provide(BackfillContext), notes.append)
    assert text.splitlines()[:2] == [
        "read 2 contact(s) and 1 deal(s) from HubSpot's property histories",
        "recorded 1 lead cycle(s) of 1 contact(s) that reached MQL",
    ]
    assert "not reconstructed (HubSpot keeps no record of them): qualified_signal_at, grade_at_mql" in text
    assert notes == []  # fewer than a thousand contacts: no progress line
    # HubSpot's MQL came after Leadflow's first recorded change: the ledger's facts stand as they were.
    assert ledger_facts(portal.container.ledger) == before
