"""What a buyer's action changes in HubSpot, written the way HubSpot's own processes write it."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime

from hubspot_twin.crm.changes import ChangeSource
from hubspot_twin.twin import Twin

FORM = ChangeSource("FORM", "form-submission")
EMAIL = ChangeSource("EMAIL", "marketing-email")
ANALYTICS = ChangeSource("ANALYTICS", "web-analytics")
# A workflow ("Marketing event: attended" → set a property) writes as HubSpot's automation platform.
WORKFLOW = ChangeSource("AUTOMATION_PLATFORM", "workflow-attended-webinar")

TITLES = {
    "whitepaper": ("Predictive maintenance 2026", "The smart factory playbook", "OEE in practice", "IIoT security"),
    "checklist": ("Retrofit checklist", "Vendor evaluation checklist", "Downtime audit checklist"),
    "webinar": ("Smart factory live", "Condition monitoring Q&A", "From pilot to rollout"),
}
FORMS = {"whitepaper": "Whitepaper: {}", "checklist": "Checklist: {}", "webinar": "Webinar registration: {}"}
PRICING_URLS = ("https://www.example.com/pricing", "https://www.example.com/pricing#plans",
                "https://www.example.com/pricing?ref=nav")  # fmt: skip
EMAIL_ACTIONS = frozenset({"newsletter_open", "newsletter_click"})
# HubSpot records a webinar attendance as a marketing event participation (reported by the webinar integration),
# which changes no contact property; the portal's workflow stamps this custom date property for each attendance.
WEBINAR_ATTENDED = "last_webinar_attended_date"
WEBINAR_ATTENDED_PROPERTY = {
    "name": WEBINAR_ATTENDED,
    "label": "Last webinar attended date",
    "type": "datetime",
    "fieldType": "date",
    "groupName": "contactinformation",
    "description": "Set by the workflow 'Marketing event: attended' each time the contact attends a webinar.",
}


def add_webinar_attendance_property(twin: Twin) -> None:
    """Create the custom property the portal's attendance workflow stamps (as a marketer sets the portal up)."""
    twin.create_property("contacts", WEBINAR_ATTENDED_PROPERTY)


def apply_action(twin: Twin, contact_id: str, action: str, now: datetime, rng: random.Random) -> bool:
    """Make the change `action` stands for; return False when it cannot happen (e.g. email after opting out)."""
    current = twin.get_object("contacts", contact_id)
    opted_out = current.get("hs_email_optout") == "true"
    if opted_out and (action in EMAIL_ACTIONS or action == "unsubscribe"):
        return False
    source, values = _change(action, current, now, rng)
    twin.update_object("contacts", contact_id, values, system=True, source=source)
    return True


def _change(
    action: str, current: Mapping[str, str | None], now: datetime, rng: random.Random
) -> tuple[ChangeSource, dict[str, str]]:
    millis = str(int(now.timestamp() * 1000))
    if action in FORMS:
        return FORM, _conversion(FORMS[action].format(rng.choice(TITLES[action])), current, millis)
    if action == "webinar_attendance":
        return WORKFLOW, {WEBINAR_ATTENDED: millis}
    if action == "demo_request":
        return FORM, _conversion("Request a demo", current, millis)
    if action == "newsletter_open":
        return EMAIL, {"hs_email_last_open_date": millis}
    if action == "newsletter_click":
        return EMAIL, {"hs_email_last_open_date": millis, "hs_email_last_click_date": millis}
    if action == "pricing_view":
        views = int(current.get("hs_analytics_num_page_views") or 0) + 1
        return ANALYTICS, {"hs_analytics_last_url": rng.choice(PRICING_URLS), "hs_analytics_num_page_views": str(views)}
    if action == "unsubscribe":
        return EMAIL, {"hs_email_optout": "true"}
    raise ValueError(f"unknown action {action!r}")


def _conversion(name: str, current: Mapping[str, str | None], millis: str) -> dict[str, str]:
    count = int(current.get("num_conversion_events") or 0) + 1
    return {"recent_conversion_event_name": name, "recent_conversion_date": millis, "num_conversion_events": str(count)}
