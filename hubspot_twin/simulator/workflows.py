"""The portal's nurture workflows: one per content id, each sending its marketing email when a contact's nurture
step property changes to that id, or when the step's time changes while it holds it (re-enrollment).

A marketer builds these in HubSpot as `leadflow setup`'s recipe says: trigger "leadflow_nurture_step is checklist",
re-enrollment when leadflow_nurture_step_at changes → send the email "checklist". The workflows listen on the
twin's change feed, where an update carries only the properties whose value changed, so writing the values a
contact already holds enrolls nobody, as HubSpot's triggers work; one write of both properties enrolls once. A
listener only queues (the feed calls it under the store's lock); `send_enrolled` sends what was queued.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from hubspot_twin.crm.changes import Change, ChangeFeed, ChangeSource
from hubspot_twin.errors import HubSpotError
from hubspot_twin.twin import Twin

NURTURE_STEP = "leadflow_nurture_step"  # the property Leadflow writes; the workflows' enrollment trigger
NURTURE_STEP_AT = "leadflow_nurture_step_at"  # written with it; its change re-enrolls the contact


def workflow_source(content: str) -> ChangeSource:
    """Return the source of what the workflow of `content` writes: HubSpot's automation platform."""
    return ChangeSource("AUTOMATION_PLATFORM", f"workflow-nurture-{content}")


@dataclass(frozen=True, order=True)
class Enrollment:
    """At `at` a contact's step property changed to `content`, or (`content` empty) its step time changed: the
    workflow of the step it holds sends its email."""

    at: datetime
    contact_id: str
    content: str


@dataclass(frozen=True)
class EmailSend:
    """The marketing email `content` was sent to the contact at `at`."""

    at: datetime
    contact_id: str
    content: str


class NurtureWorkflows:
    """The portal's nurture workflows, enrolling contacts from `feed` until `close()`."""

    def __init__(self, feed: ChangeFeed, trigger: str = NURTURE_STEP, reenroll: str | None = NURTURE_STEP_AT) -> None:
        self.trigger, self.reenroll = trigger, reenroll
        self._lock = threading.Lock()
        self._enrolled: list[Enrollment] = []
        self._unsubscribe: Callable[[], None] = feed.subscribe(self._receive)

    def close(self) -> None:
        self._unsubscribe()

    def send_enrolled(self, twin: Twin) -> list[EmailSend]:
        """Send each queued enrollment's email (oldest first), as HubSpot's email tool records a send; return the
        sends. A contact unsubscribed from all email, or gone, gets nothing (HubSpot sends it no marketing email)."""
        with self._lock:
            enrolled, self._enrolled = sorted(self._enrolled), []
        sends = (_send(twin, enrollment, self.trigger) for enrollment in enrolled)
        return [send for send in sends if send is not None]

    def _receive(self, change: Change) -> None:
        if change.object_type != "contacts" or change.kind not in ("created", "updated"):
            return
        content = change.properties.get(self.trigger)
        retimed = self.reenroll is not None and bool(change.properties.get(self.reenroll))
        if not content and not retimed:  # neither property, or cleared: no workflow is enrolled
            return
        at = datetime.fromtimestamp(change.occurred_at_ms / 1000, UTC)
        with self._lock:
            self._enrolled.append(Enrollment(at, change.object_id, content or ""))


def _send(twin: Twin, enrollment: Enrollment, trigger: str) -> EmailSend | None:
    try:
        current = twin.get_object("contacts", enrollment.contact_id)
    except HubSpotError:  # archived or merged away since
        return None
    content = enrollment.content or current.get(trigger)  # a re-enrollment sends the step the contact holds
    if not content or current.get("hs_email_optout") == "true":
        return None
    millis = str(int(enrollment.at.timestamp() * 1000))
    delivered = int(current.get("hs_email_delivered") or 0) + 1
    values = {
        "hs_email_last_send_date": millis,
        "hs_email_last_email_name": content,
        "hs_email_delivered": str(delivered),
    }
    twin.update_object("contacts", enrollment.contact_id, values, system=True, source=workflow_source(content))
    return EmailSend(enrollment.at, enrollment.contact_id, content)
