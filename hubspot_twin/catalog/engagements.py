"""HubSpot's default meeting, call and e-mail properties (the activity objects sales log on a contact)."""

from __future__ import annotations

from hubspot_twin.catalog.spec import PropertySpec, choice, datetime_, number, owner, record_id, text

MEETING_GROUPS: tuple[tuple[str, str], ...] = (("meeting", "Meeting information"),)
CALL_GROUPS: tuple[tuple[str, str], ...] = (("call", "Call information"),)
EMAIL_GROUPS: tuple[tuple[str, str], ...] = (("email", "Email information"),)

MEETING_OUTCOMES: tuple[tuple[str, str], ...] = (
    ("SCHEDULED", "Scheduled"),
    ("COMPLETED", "Completed"),
    ("RESCHEDULED", "Rescheduled"),
    ("NO_SHOW", "No Show"),
    ("CANCELED", "Canceled"),
)
# EMAIL: a sales e-mail a rep sent (logged or through the inbox); INCOMING_EMAIL: the contact's reply.
EMAIL_DIRECTIONS: tuple[tuple[str, str], ...] = (
    ("EMAIL", "Email"),
    ("INCOMING_EMAIL", "Incoming email"),
    ("FORWARDED_EMAIL", "Forwarded email"),
)
EMAIL_STATUSES: tuple[tuple[str, str], ...] = (
    ("BOUNCED", "Bounced"),
    ("FAILED", "Failed"),
    ("SCHEDULED", "Scheduled"),
    ("SENDING", "Sending"),
    ("SENT", "Sent"),
)
CALL_DIRECTIONS: tuple[tuple[str, str], ...] = (("INBOUND", "Inbound"), ("OUTBOUND", "Outbound"))
CALL_STATUSES: tuple[tuple[str, str], ...] = (
    ("BUSY", "Busy"),
    ("CALLING_CRM_USER", "Calling CRM user"),
    ("CANCELED", "Canceled"),
    ("COMPLETED", "Completed"),
    ("CONNECTING", "Connecting"),
    ("FAILED", "Failed"),
    ("IN_PROGRESS", "In progress"),
    ("NO_ANSWER", "No answer"),
    ("QUEUED", "Queued"),
    ("RINGING", "Ringing"),
)


def _system(group: str) -> tuple[PropertySpec, ...]:
    return (
        datetime_("hs_timestamp", "Activity date", group),
        owner("Activity assigned to", group),
        datetime_("hs_createdate", "Created at", group, read_only=True),
        datetime_("hs_lastmodifieddate", "Last Modified Date", group, read_only=True),
        record_id(group),
    )


MEETING_PROPERTIES: tuple[PropertySpec, ...] = (
    text("hs_meeting_title", "Meeting name", "meeting"),
    text("hs_meeting_body", "Meeting description", "meeting", field_type="html"),
    text("hs_internal_meeting_notes", "Internal meeting notes", "meeting", field_type="html"),
    text("hs_meeting_location", "Location", "meeting"),
    text("hs_meeting_external_url", "External URL", "meeting"),
    datetime_("hs_meeting_start_time", "Start Time", "meeting"),
    datetime_("hs_meeting_end_time", "End Time", "meeting"),
    choice("hs_meeting_outcome", "Meeting outcome", "meeting", MEETING_OUTCOMES),
    *_system("meeting"),
)
CALL_PROPERTIES: tuple[PropertySpec, ...] = (
    text("hs_call_title", "Call Title", "call"),
    text("hs_call_body", "Call notes", "call", field_type="html"),
    choice("hs_call_direction", "Call direction", "call", CALL_DIRECTIONS),
    choice("hs_call_status", "Call status", "call", CALL_STATUSES),
    text("hs_call_disposition", "Call outcome", "call"),
    number("hs_call_duration", "Call duration", "call"),
    text("hs_call_from_number", "From number", "call"),
    text("hs_call_to_number", "To number", "call"),
    text("hs_call_recording_url", "Recording URL", "call"),
    *_system("call"),
)
EMAIL_PROPERTIES: tuple[PropertySpec, ...] = (
    text("hs_email_subject", "Email subject", "email"),
    text("hs_email_text", "Email body", "email", field_type="textarea"),
    text("hs_email_html", "Email HTML body", "email", field_type="html"),
    choice("hs_email_direction", "Email direction", "email", EMAIL_DIRECTIONS),
    choice("hs_email_status", "Email send status", "email", EMAIL_STATUSES),
    *_system("email"),
)
