"""`leadflow kpis --backfill` against the twin over HTTP with the official SDK (SQLite and PostgreSQL): the lead
cycles of a portal's past, from HubSpot's property histories, at the batch floor, joined with the ledger's facts."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from app.bootstrap import Container
from app.sync.hubspot.retry import RetryPolicy
from app.sync.hubspot.sdk import SdkGateway
from app.sync.kpis.backfill import BackfillContext, backfill_kpis
from app.sync.kpis.facts import ledger_facts
from hubspot_twin import Twin
from hubspot_twin.crm.timestamps import parse_instant
from tests.support.app import ACCESS_TOKEN, make_container

POLICY = RetryPolicy(attempts=4, max_seconds=10, initial_backoff=0.01, max_backoff=0.05)


@pytest.fixture
def portal(ledger_url: str, redis_client: redis.Redis) -> Iterator[tuple[Twin, Container]]:
    twin = Twin(access_tokens={ACCESS_TOKEN})
    with twin.serve() as server:
        container = make_container(
            ledger_url,
            redis_client,
            gateway_factory=lambda: SdkGateway(ACCESS_TOKEN, server.url, (2.0, 10.0), POLICY),
            settings={"hubspot_api_base": server.url},
        )
        yield twin, container
        container.ledger.engine.dispose()


def steps(twin: Twin, object_type: str, object_id: str, *changes: dict[str, str]) -> None:
    for values in changes:
        time.sleep(0.002)  # each change its own millisecond, as a person's would be
        twin.update_object(object_type, object_id, values)


def test_the_backfill_reads_a_won_and_a_rejected_lead_and_a_quiet_one_at_the_batch_floor(
    portal: tuple[Twin, Container],
) -> None:
    twin, container = portal
    owner = twin.create_owner("dana.fuchs@example.com", "Dana", "Fuchs")
    won, rejected, _quiet = (twin.create_object("contacts", {"email": f"{n}@kessler.de", "lifecyclestage": "lead"})
                            for n in ("anna", "ben", "carl"))  # fmt: skip
    steps(twin, "contacts", won, {"lifecyclestage": "marketingqualifiedlead"}, {"hubspot_owner_id": owner},
          {"lifecyclestage": "salesqualifiedlead"}, {"hs_lead_status": "CONNECTED"})  # fmt: skip
    deal = twin.create_object("deals", {"dealname": "Kessler", "dealstage": "appointmentscheduled"})
    twin.associate("deals", deal, "contacts", won)
    steps(twin, "deals", deal, {"dealstage": "closedwon"})
    steps(twin, "contacts", rejected, {"lifecyclestage": "marketingqualifiedlead"}, {"hs_lead_status": "UNQUALIFIED"})
    twin.reset_request_counts()

    report = backfill_kpis(container.provide(BackfillContext))

    assert (report.contacts, report.qualified, report.cycles, report.deals) == (3, 2, 2, 1)
    assert twin.request_counts() == {
        "GET /crm/v3/objects/contacts": 1,  # one page of up to 100
        "POST /crm/v3/objects/contacts/batch/read": 1,  # histories of up to 50
        "POST /crm/v4/associations/contacts/deals/batch/read": 1,
        "POST /crm/v3/objects/deals/batch/read": 2,  # the deals' creation, their stages' history
    }
    facts = {fact.contact: fact for fact in ledger_facts(container.ledger)}
    assert set(facts) == {won, rejected}  # the quiet one never reached MQL; the ledger has none of them

    def changed(object_type: str, object_id: str, name: str, value: str) -> object:
        return parse_instant(next(s for s, v in twin.history(object_type, object_id, name) if v == value))

    fact = facts[won]
    assert fact.mql_at == changed("contacts", won, "lifecyclestage", "marketingqualifiedlead")
    assert fact.sql_at == changed("contacts", won, "lifecyclestage", "salesqualifiedlead")
    assert (fact.owner, fact.handed_over_at) == (owner, changed("contacts", won, "hubspot_owner_id", owner))
    assert fact.accepted_at == changed("contacts", won, "hs_lead_status", "CONNECTED")
    assert fact.won_at == changed("deals", deal, "dealstage", "closedwon") and fact.deal_created_at is not None
    assert (fact.due_at, fact.first_touch_at, fact.grade_at_mql) == (None, None, None)  # HubSpot keeps no record
    assert (facts[rejected].rejected_at, facts[rejected].rejection_reason) == (
        changed("contacts", rejected, "hs_lead_status", "UNQUALIFIED"), "UNQUALIFIED"
    )  # fmt: skip

    backfill_kpis(container.provide(BackfillContext))  # once more: replaces, does not add
    assert len(ledger_facts(container.ledger)) == 2
