"""HubSpot's default meeting and call properties (the activity objects Leadflow logs)."""

from __future__ import annotations

from hubspot_twin.catalog.spec import PropertySpec, choice, datetime_, number, owner, record_id, text

MEETING_GROUPS: tuple[tuple[str, str], ...] = (("meeting", "Meeting information"),)
CALL_GROUPS: tuple[tuple[str, str], ...] = (("call", "Call information"),)

MEETING_OUTCOMES: tuple[tuple[str, str], ...] = (
    ("SCHEDULED", "Scheduled"),
    ("COMPLETED", "Completed"),
    ("RESCHEDULED", "Rescheduled"),
    ("NO_SHOW", "No Show"),
    ("CANCELED", "Canceled"),
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
