"""HubSpot's default task properties (the tasks Leadflow creates for sales reps)."""

from __future__ import annotations

from hubspot_twin.catalog.spec import PropertySpec, choice, datetime_, owner, record_id, text

GROUPS: tuple[tuple[str, str], ...] = (("task", "Task information"),)

TASK_STATUSES: tuple[tuple[str, str], ...] = (
    ("NOT_STARTED", "Not started"),
    ("IN_PROGRESS", "In progress"),
    ("WAITING", "Waiting"),
    ("COMPLETED", "Completed"),
    ("DEFERRED", "Deferred"),
)
TASK_PRIORITIES: tuple[tuple[str, str], ...] = (
    ("NONE", "None"),
    ("LOW", "Low"),
    ("MEDIUM", "Medium"),
    ("HIGH", "High"),
)
TASK_TYPES: tuple[tuple[str, str], ...] = (
    ("EMAIL", "Email"),
    ("CALL", "Call"),
    ("TODO", "To-do"),
    ("LINKED_IN", "LinkedIn"),
    ("LINKED_IN_CONNECT", "LinkedIn connection request"),
    ("LINKED_IN_MESSAGE", "LinkedIn message"),
)

_TASK = "task"
PROPERTIES: tuple[PropertySpec, ...] = (
    datetime_("hs_timestamp", "Due date", _TASK),
    text("hs_task_subject", "Task Title", _TASK),
    text("hs_task_body", "Notes", _TASK, field_type="html"),
    choice("hs_task_status", "Task Status", _TASK, TASK_STATUSES),
    choice("hs_task_priority", "Priority", _TASK, TASK_PRIORITIES),
    choice("hs_task_type", "Task Type", _TASK, TASK_TYPES),
    text("hs_task_reminders", "Reminder", _TASK),
    # Queue ids come from the portal's task queues (no API in the twin): any ;-separated ids are accepted.
    PropertySpec("hs_queue_membership_ids", "Queue", "enumeration", "checkbox", _TASK, external_options=True),
    datetime_("hs_task_completion_date", "Completed at", _TASK, read_only=True),
    owner("Assigned to", _TASK),
    datetime_("hs_createdate", "Created at", _TASK, read_only=True),
    datetime_("hs_lastmodifieddate", "Last Modified Date", _TASK, read_only=True),
    record_id(_TASK),
)
