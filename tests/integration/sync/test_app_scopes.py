"""The app's scopes cover the calls the shell really makes: setup, a handover, a first touch, sales' answer.

`app/rules/app_project/scopes.py` lists each feature's calls by hand; here the in-memory HubSpot records what the
shell sends for the shipped configuration, and every call must be one the enabled features list (so the scopes
`leadflow app build` asks for cover it).
"""

from __future__ import annotations

from app.rules import load_configuration
from app.rules.app_project import features_of
from app.rules.app_project.scopes import FEATURE_CALLS
from app.sync.resolve import ResolveContext, resolve_pending_signals
from tests.integration.sync.conftest import SQL, Portal
from tests.support.app import ROOT


def test_every_call_of_setup_a_handover_a_touch_and_an_answer_is_in_the_scope_table(portal: Portal) -> None:
    features = features_of(load_configuration(ROOT / "config"))
    listed = {call for feature in features.enabled() for call in FEATURE_CALLS[feature]}
    contact_id = portal.lead("jonas.meier@pumpen.de", phone="+49 30 5550")
    portal.converts(contact_id, *SQL)
    portal.drain()
    (handover,) = portal.container.ledger.handovers.of_contacts([contact_id])[contact_id]
    portal.clock.advance(minutes=10)
    call = portal.hubspot.create("call", {"hs_timestamp": "2026-11-25T10:10:00.000Z", "hubspot_owner_id": "1"})
    portal.hubspot.associate("call", call, "contact", contact_id)
    portal.deliver(portal.event("object.creation", call, objectTypeId="0-48"))
    resolve_pending_signals(portal.container.provide(ResolveContext))
    portal.changed(contact_id, hs_lead_status="UNQUALIFIED")
    portal.drain()
    portal.container.setup_portal()  # last: the fake then refuses HubSpot's own properties it has no definition of

    made = {(request.operation, request.object_type.split("→")[0] or None) for request in portal.hubspot.calls}
    assert made - listed == set()
    assert handover.task_id is not None and handover.deal_id is not None
    assert {("owners", None), ("upsert_objects", "deal"), ("read_associations", "call")} <= made
