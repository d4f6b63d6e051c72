"""What a fresh HubSpot portal holds: object types, default properties and groups, association types."""

from __future__ import annotations

from hubspot_twin.catalog import companies, contacts, deals, engagements, leads, tasks
from hubspot_twin.catalog.object_types import (
    CALLS,
    COMPANIES,
    CONTACTS,
    DEALS,
    EMAILS,
    LEADS,
    MEETINGS,
    OBJECT_TYPES,
    TASKS,
    ObjectType,
    resolve,
)
from hubspot_twin.catalog.spec import PropertySpec

DEFAULT_PROPERTIES: dict[str, tuple[PropertySpec, ...]] = {
    CONTACTS.name: contacts.PROPERTIES,
    COMPANIES.name: companies.PROPERTIES,
    DEALS.name: deals.PROPERTIES,
    TASKS.name: tasks.PROPERTIES,
    MEETINGS.name: engagements.MEETING_PROPERTIES,
    CALLS.name: engagements.CALL_PROPERTIES,
    EMAILS.name: engagements.EMAIL_PROPERTIES,
    LEADS.name: leads.PROPERTIES,
}
DEFAULT_GROUPS: dict[str, tuple[tuple[str, str], ...]] = {
    CONTACTS.name: contacts.GROUPS,
    COMPANIES.name: companies.GROUPS,
    DEALS.name: deals.GROUPS,
    TASKS.name: tasks.GROUPS,
    MEETINGS.name: engagements.MEETING_GROUPS,
    CALLS.name: engagements.CALL_GROUPS,
    EMAILS.name: engagements.EMAIL_GROUPS,
    LEADS.name: leads.GROUPS,
}

__all__ = [
    "CALLS",
    "COMPANIES",
    "CONTACTS",
    "DEALS",
    "DEFAULT_GROUPS",
    "DEFAULT_PROPERTIES",
    "EMAILS",
    "LEADS",
    "MEETINGS",
    "OBJECT_TYPES",
    "TASKS",
    "ObjectType",
    "resolve",
]
