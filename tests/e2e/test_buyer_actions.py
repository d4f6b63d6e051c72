"""Every real buyer action counts: the twin plays what buyers do, sends HubSpot's own webhooks for the values that
changed (duplicated and reordered where asked), and Leadflow counts each action once.

A form submitted again changes the conversion date and count but not the form name, so HubSpot sends no name
change; the first submission of another form changes all three, so HubSpot sends three webhooks for one action.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from app.rules.subscriptions import required_subscriptions
from hubspot_twin import Twin, TwinServer
from hubspot_twin.errors import PORTAL_ID
from hubspot_twin.simulator.actions import add_webinar_attendance_property, apply_action
from hubspot_twin.simulator.clock import SimClock
from hubspot_twin.webhooks.delivery import RetrySchedule
from hubspot_twin.webhooks.dispatch import DispatchOptions, WebhookDispatcher
from hubspot_twin.webhooks.subscriptions import Subscription, WebhookSettings
from tests.e2e.conftest import Pipeline
from tests.e2e.test_scoring_pipeline import DACH_MACHINERY, seed_contact
from tests.support.app import ACCESS_TOKEN, APP_ID, CLIENT_SECRET

START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)


@pytest.fixture
def clock() -> SimClock:
    """The portal's time: each action happens (and is stamped by HubSpot) when it is played."""
    return SimClock(START)


@pytest.fixture
def twin(clock: SimClock) -> Iterator[tuple[Twin, TwinServer]]:
    """The e2e twin, on the simulated clock (as the simulator runs it)."""
    portal = Twin(access_tokens={ACCESS_TOKEN}, clock=clock)
    with portal.serve() as server:
        yield portal, server


@dataclass
class Buyers:
    """The twin's webhooks delivered to Leadflow; `act` plays a buyer's action in HubSpot as the simulator does."""

    pipeline: Pipeline
    dispatcher: WebhookDispatcher
    clock: SimClock
    moment: datetime = START

    def act(self, contact_id: str, *actions: str) -> None:
        for action in actions:
            self.moment += timedelta(minutes=7)
            self.clock.set(self.moment)
            assert apply_action(self.pipeline.twin, contact_id, action, self.moment, random.Random(action))

    def settle(self) -> None:
        """Let every webhook arrive, then run Leadflow's worker until its queue is empty (resolve, drain)."""
        assert self.dispatcher.wait_idle(timeout=20), self.dispatcher.stats()
        self.pipeline.work()

    def engagements(self, contact_id: str) -> Counter[str]:
        found = self.pipeline.container.ledger.contacts.engagements_of([contact_id]).get(contact_id, [])
        return Counter(engagement.type for engagement in found)


def buyers_with(pipeline: Pipeline, clock: SimClock, **options: object) -> Iterator[Buyers]:
    container = pipeline.container
    wanted = required_subscriptions(container.model, container.signal_rules)
    subscriptions = tuple(Subscription(s.subscription_type, s.property_name, s.object_type_id) for s in wanted)
    settings = WebhookSettings(pipeline.webhook_url, CLIENT_SECRET, int(APP_ID), PORTAL_ID, subscriptions=subscriptions)
    add_webinar_attendance_property(pipeline.twin)
    dispatch = DispatchOptions(retry=RetrySchedule.compressed(total_s=2.0), seed=11, **options)  # type: ignore[arg-type]
    dispatcher = pipeline.twin.start_webhooks(settings, dispatch)
    try:
        yield Buyers(pipeline, dispatcher, clock)
    finally:
        dispatcher.stop(drain=False)


@pytest.fixture
def buyers(pipeline: Pipeline, clock: SimClock) -> Iterator[Buyers]:
    yield from buyers_with(pipeline, clock)


@pytest.fixture
def duplicating_buyers(pipeline: Pipeline, clock: SimClock) -> Iterator[Buyers]:
    """Every batch delivered twice, events shuffled across batches and batches out of order."""
    yield from buyers_with(pipeline, clock, duplicate_share=1.0, reorder=True, max_batch_size=2)


def test_the_same_whitepaper_form_submitted_twice_counts_twice(buyers: Buyers) -> None:
    contact_id = seed_contact(buyers.pipeline, DACH_MACHINERY)
    buyers.act(contact_id, "whitepaper")
    buyers.settle()
    assert buyers.engagements(contact_id) == {"whitepaper_download": 1}  # three webhooks, one download
    buyers.act(contact_id, "whitepaper")  # random.Random("whitepaper"): the same form again
    buyers.settle()
    assert buyers.engagements(contact_id) == {"whitepaper_download": 2}
    assert buyers.pipeline.contact(contact_id)["leadflow_engagement_score"] == "10"
    assert "+10 Whitepaper download (2×)" in buyers.pipeline.contact(contact_id)["leadflow_score_reasons"]


def test_duplicated_and_reordered_webhooks_count_each_action_once(duplicating_buyers: Buyers) -> None:
    buyers = duplicating_buyers
    contact_id = seed_contact(buyers.pipeline, DACH_MACHINERY)
    buyers.act(contact_id, "whitepaper", "checklist", "whitepaper", "demo_request")
    buyers.settle()
    assert buyers.dispatcher.stats().duplicates > 0
    assert buyers.engagements(contact_id) == {"whitepaper_download": 2, "checklist_download": 1, "demo_request": 1}
    assert buyers.pipeline.container.ledger.counts().pending_signals == 0


def test_revisiting_the_pricing_page_counts_each_view(buyers: Buyers) -> None:
    contact_id = seed_contact(buyers.pipeline, DACH_MACHINERY)
    buyers.act(contact_id, "pricing_view", "pricing_view", "pricing_view")  # the same URL: one last-URL change
    buyers.settle()
    assert len(buyers.pipeline.twin.history("contacts", contact_id, "hs_analytics_last_url")) == 1
    assert buyers.engagements(contact_id) == {"pricing_page_view": 3}
    assert buyers.pipeline.contact(contact_id)["leadflow_engagement_score"] == "9"


def test_checklists_and_webinar_attendance_score_and_email_opens_are_recorded_with_no_points(buyers: Buyers) -> None:
    contact_id = seed_contact(buyers.pipeline, DACH_MACHINERY)
    buyers.act(contact_id, "checklist", "webinar", "webinar_attendance", "newsletter_open")
    buyers.settle()
    assert buyers.engagements(contact_id) == {
        "checklist_download": 1,
        "webinar_registration": 1,
        "webinar_attendance": 1,
        "newsletter_open": 1,
    }
    scored = buyers.pipeline.contact(contact_id)
    assert scored["leadflow_engagement_score"] == "23"  # checklist 3 + registration 8 + attendance 12 + open 0
    assert "+12 Webinar attendance (1×)" in scored["leadflow_score_reasons"]
    assert "Newsletter open" not in scored["leadflow_score_reasons"]
