"""The demo's check of the KPI facts against the twin's own record (app/demo/kpis.py): it finds what matches and
names what does not."""

from __future__ import annotations

from datetime import timedelta

from app.demo.kpis import verify_facts
from app.rules.kpis import LeadCycle
from hubspot_twin import Twin
from hubspot_twin.crm.timestamps import parse_instant


def answered_contact(twin: Twin) -> tuple[str, LeadCycle]:
    contact = twin.create_object("contacts", {"email": "jonas.meier@pumpen.de"})
    call = twin.create_object("calls", {"hs_timestamp": "1788771600000"})
    twin.associate("calls", call, "contacts", contact)
    twin.update_object("contacts", contact, {"hs_lead_status": "CONNECTED"})
    ((stamp, _value),) = twin.history("contacts", contact, "hs_lead_status")
    accepted = parse_instant(stamp)
    touched = parse_instant("1788771600000")
    assert accepted is not None and touched is not None
    return contact, LeadCycle(contact=contact, cycle=1, accepted_at=accepted, first_touch_at=touched)


def test_facts_that_match_the_twins_record_to_the_second_pass() -> None:
    twin = Twin()
    _contact, fact = answered_contact(twin)
    found = verify_facts(twin, [fact])
    assert (found.checked, found.differences) == (2, [])


def test_a_time_one_second_off_a_missing_answer_and_an_unknown_deal_are_named() -> None:
    twin = Twin()
    contact, fact = answered_contact(twin)
    assert fact.accepted_at is not None
    wrong = LeadCycle(contact=contact, cycle=1, accepted_at=fact.accepted_at + timedelta(seconds=1),
                      won_at=fact.accepted_at)  # fmt: skip
    found = verify_facts(twin, [wrong])
    assert found.checked == 2 and len(found.differences) == 3
    assert found.differences[0].startswith(f"contact {contact}: accepted at ")
    assert found.differences[1].startswith(f"contact {contact}: won at ")
    assert found.differences[2] == f"contact {contact}: 0 deal(s) closed, 1 in the facts"
    unanswered = verify_facts(twin, [LeadCycle(contact=contact, cycle=1)])
    assert unanswered.differences == [f"contact {contact}: a rep's answer and the facts disagree (answered: False)"]
