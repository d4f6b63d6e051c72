"""The resolver on the in-memory HubSpot: company changes re-assess the company's contacts (and drop it from the
company cache); a meeting becomes an engagement of each contact it is associated with."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pytest
import redis

from app.sync.hubspot.company_cache import CompanyCache
from app.sync.resolve import ResolveContext, resolve_pending_signals
from app.worklist import Worklist
from tests.integration.sync.conftest import Portal


def cached(portal: Portal, company_id: str) -> bool:
    cache = portal.container.company_cache
    assert isinstance(cache, CompanyCache)
    properties = sorted(portal.container.pipeline().reads().company)
    return company_id in cache.lookup([company_id], properties).found


def dirty(portal: Portal) -> list[str]:
    worklist = portal.container.worklist
    return sorted(member.decode() for member in worklist.redis.zrange(worklist.dirty_key, 0, -1))


def test_a_company_change_marks_its_contacts_dirty_and_drops_it_from_the_company_cache(portal: Portal) -> None:
    anna, other = portal.lead("anna.keller@kessler.de"), portal.lead("otto.other@other.de")
    company_id, other_company = (portal.contact(c)["associatedcompanyid"] for c in (anna, other))
    ben = portal.hubspot.create("contact", {"email": "ben@kessler.de", "country": "Germany"})
    portal.hubspot.associate("contact", ben, "company", company_id)  # not his primary company
    portal.created(anna, other)
    portal.drain()
    assert cached(portal, company_id) and cached(portal, other_company)

    portal.hubspot.calls.clear()
    portal.deliver(portal.event("company.propertyChange", company_id, propertyName="industry", propertyValue="X"))
    report = resolve_pending_signals(portal.container.provide(ResolveContext))
    assert (report.resolved, report.waiting, report.contacts) == (1, 0, 2)
    assert dirty(portal) == sorted([anna, ben])
    assert not cached(portal, company_id) and cached(portal, other_company)
    assert portal.hubspot.request_counts() == {("read_associations", "company→contact"): 1}
    assert portal.container.ledger.counts().pending_signals == 0


def test_a_deleted_companys_contacts_are_found_where_the_ledger_last_saw_them(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    company_id = portal.contact(contact_id)["associatedcompanyid"]
    portal.created(contact_id)
    portal.drain()
    portal.hubspot.delete("company", company_id)  # its associations go with it
    portal.deliver(portal.event("company.deletion", company_id))
    assert resolve_pending_signals(portal.container.provide(ResolveContext)).contacts == 1
    assert dirty(portal) == [contact_id]
    portal.drain()
    state = portal.container.ledger.contacts.states_of([contact_id])[contact_id]
    assert (state.company_id, state.fit) == (None, 45)  # decision maker, DACH: no company to score


def test_a_meeting_is_an_engagement_of_each_of_its_contacts(portal: Portal) -> None:
    attendees = [portal.lead("anna.keller@kessler.de"), portal.lead("ben.bauer@bauer.de")]
    bystander = portal.lead("carl.other@other.de")
    meeting = portal.hubspot.create("meeting", {"hs_meeting_title": "Discovery"})
    for contact_id in attendees:
        portal.hubspot.associate("meeting", meeting, "contact", contact_id)
    portal.deliver(portal.event("object.creation", meeting, objectTypeId="0-47"))
    report = resolve_pending_signals(portal.container.provide(ResolveContext))
    assert (report.resolved, report.contacts) == (1, 2)
    engagements = portal.container.ledger.contacts.engagements_of([*attendees, bystander])
    assert {c: [(e.type, e.occurred_at) for e in found] for c, found in engagements.items()} == {
        c: [("meeting_booked", portal.clock.now)] for c in attendees
    }
    assert portal.drain().claimed == 2
    assert portal.hubspot.request_counts()[("read_associations", "meeting→contact")] == 1


def test_a_meeting_without_contacts_waits_for_its_associations_then_is_closed_with_none(portal: Portal) -> None:
    meeting = portal.hubspot.create("meeting", {"hs_meeting_title": "Booked, not yet linked"})
    portal.deliver(portal.event("object.creation", meeting, objectTypeId="0-47"))
    context = portal.container.provide(ResolveContext)
    assert resolve_pending_signals(context).waiting == 1
    portal.clock.advance(minutes=5)
    contact_id = portal.lead("late.link@a.de")
    portal.hubspot.associate("contact", contact_id, "meeting", meeting)  # HubSpot links it a moment later
    assert resolve_pending_signals(context).contacts == 1
    assert [e.type for e in portal.container.ledger.contacts.engagements_of([contact_id])[contact_id]] == [
        "meeting_booked"
    ]

    lonely = portal.hubspot.create("meeting", {"hs_meeting_title": "Never linked"})
    portal.deliver(portal.event("object.creation", lonely, objectTypeId="0-47"))
    portal.clock.advance(minutes=11)
    report = resolve_pending_signals(context)
    assert (report.resolved, report.waiting, report.contacts) == (1, 0, 0)
    assert portal.container.ledger.counts().pending_signals == 0


class RedisFailsAfterFirstMark(Worklist):
    """A worklist whose Redis goes away right after the first contacts are marked dirty."""

    def mark_dirty(self, contact_ids: Iterable[str], at: float) -> None:
        if getattr(self, "marked", False):
            raise redis.ConnectionError("Redis went away")
        super().mark_dirty(contact_ids, at)
        self.marked = True


def test_a_company_change_is_not_lost_when_redis_fails_after_the_ledger_recorded_it(portal: Portal) -> None:
    anna = portal.lead("anna.keller@kessler.de")
    company_id = portal.contact(anna)["associatedcompanyid"]
    portal.created(anna)
    portal.drain()
    portal.deliver(portal.event("company.propertyChange", company_id, propertyName="industry", propertyValue="X"))
    worklist = portal.container.worklist
    flaky = RedisFailsAfterFirstMark(worklist.redis, lambda _job: None, worklist.dirty_key.removesuffix(":dirty"))
    context = replace(portal.container.provide(ResolveContext), worklist=flaky)

    with pytest.raises(redis.ConnectionError):
        resolve_pending_signals(context)

    assert dirty(portal) == [anna]  # marked before the ledger closed the signal: the drain re-assesses her
    assert portal.container.ledger.counts().pending_signals == 0


def engagements(portal: Portal, contact_id: str) -> list[str]:
    found = portal.container.ledger.contacts.engagements_of([contact_id]).get(contact_id, [])
    return sorted(engagement.type for engagement in found)


def test_the_same_whitepaper_form_submitted_twice_is_two_downloads(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, "Whitepaper: OEE in practice")
    portal.converts(contact_id, "Whitepaper: OEE in practice")  # no name change: only the date and count change
    # The two conversion dates wait for the contact's drain, which recalls the form names.
    assert portal.container.ledger.counts().by_kind["contact.awaiting-recall"] == 2
    assert dirty(portal) == [contact_id]
    portal.drain()
    assert engagements(portal, contact_id) == ["whitepaper_download", "whitepaper_download"]
    assert portal.container.ledger.counts().pending_signals == 0


def test_the_drain_recalls_from_its_own_read_of_the_contact_without_a_request_of_its_own(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, "Whitepaper: OEE in practice")
    portal.hubspot.calls.clear()
    report = portal.drain()
    assert engagements(portal, contact_id) == ["whitepaper_download"]
    assert report.signals_processed == 3  # the form's name, its date (judged by the recall), the count
    assert portal.hubspot.request_counts() == {("read_objects", "contact"): 1, ("read_objects", "company"): 1,
                                               ("update_objects", "contact"): 1}  # fmt: skip
    assert portal.container.ledger.counts().pending_signals == 0


def test_a_conversion_read_after_the_next_one_gets_its_form_name_from_the_history(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    first_at = portal.clock()
    portal.hubspot.change("contact", contact_id, {"recent_conversion_event_name": "Checklist: Retrofit",
                                                 "recent_conversion_date": str(int(first_at.timestamp() * 1000))},
                          first_at)  # fmt: skip
    first = portal.event("contact.propertyChange", contact_id, propertyName="recent_conversion_date",
                         propertyValue=str(int(first_at.timestamp() * 1000)))  # fmt: skip
    portal.clock.advance(minutes=3)
    portal.converts(contact_id, "Request a demo")  # judged from the drain's read: the current values tell
    portal.deliver(first)  # delivered late: the contact has converted again since
    portal.hubspot.calls.clear()
    portal.drain()
    assert engagements(portal, contact_id) == ["checklist_download", "demo_request"]
    counts = portal.hubspot.request_counts()
    assert (counts[("read_objects", "contact")], counts[("read_histories", "contact")]) == (1, 1)


def test_a_failed_drain_leaves_the_conversion_pending_for_the_next_one(portal: Portal) -> None:
    from app.sync.hubspot.errors import TransientHubSpotError

    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, "Whitepaper: OEE in practice")
    portal.hubspot.fail_next("read_objects", TransientHubSpotError("HubSpot answered 502"))
    with pytest.raises(TransientHubSpotError):
        portal.drain()
    assert portal.container.ledger.counts().by_kind["contact.awaiting-recall"] == 1
    assert engagements(portal, contact_id) == []
    assert dirty(portal) == [contact_id]
    portal.drain()
    assert engagements(portal, contact_id) == ["whitepaper_download"]


def test_the_resolver_leaves_fresh_recalls_to_the_drains_and_takes_those_they_left(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, "Whitepaper: OEE in practice")
    portal.container.worklist.redis.flushdb()  # Redis lost the dirty contact: only the ledger knows
    context = portal.container.provide(ResolveContext)
    portal.hubspot.calls.clear()
    assert resolve_pending_signals(context).resolved == 0
    assert portal.hubspot.calls == []
    portal.clock.advance(minutes=10)
    report = resolve_pending_signals(context)
    assert (report.resolved, report.contacts) == (1, 1)
    assert engagements(portal, contact_id) == ["whitepaper_download"]
    assert dirty(portal) == [contact_id]


def test_a_recall_for_a_contact_hubspot_no_longer_has_closes_with_nothing_after_the_grace(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, "Whitepaper: OEE in practice")
    portal.hubspot.delete("contact", contact_id)
    portal.drain()  # HubSpot does not return it: the drain marks it deleted and leaves the change to the resolver
    assert portal.container.ledger.counts().by_kind["contact.awaiting-recall"] == 1
    portal.clock.advance(minutes=10)
    resolve_pending_signals(portal.container.provide(ResolveContext))
    assert portal.container.ledger.counts().pending_signals == 0
    assert engagements(portal, contact_id) == []


def test_the_reconciler_marks_a_recall_whose_dirty_mark_redis_lost_dirty_again(portal: Portal) -> None:
    from app.sync.reconcile import ReconcileContext, reconcile

    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, "Whitepaper: OEE in practice")
    portal.container.worklist.redis.flushdb()  # Redis lost the dirty contact: only the ledger knows
    portal.clock.advance(seconds=portal.container.settings.reconcile_grace_seconds + 1)
    assert reconcile(portal.container.provide(ReconcileContext)).remarked == 1
    assert dirty(portal) == [contact_id]
    portal.drain()  # well before the resolver would take it: the drain recalls
    assert engagements(portal, contact_id) == ["whitepaper_download"]
    assert portal.container.ledger.counts().pending_signals == 0
