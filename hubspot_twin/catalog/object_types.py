"""The CRM object types the twin serves, and how a path segment names one."""

from __future__ import annotations

from dataclasses import dataclass

from hubspot_twin.errors import HubSpotError


@dataclass(frozen=True)
class ObjectType:
    """One CRM object type: its names, its system properties and what a read returns by default."""

    name: str
    type_id: str
    singular: str
    internal_name: str
    created_property: str
    modified_property: str
    default_properties: tuple[str, ...]
    required_on_create: tuple[str, ...] = ()

    @property
    def always_properties(self) -> tuple[str, ...]:
        """Return the properties every read carries, requested or not."""
        return (self.created_property, "hs_object_id", self.modified_property)

    @property
    def aliases(self) -> tuple[str, ...]:
        """Return the path segments that name this type (HubSpot accepts all three)."""
        return (self.name, self.singular, self.type_id)


CONTACTS = ObjectType(
    name="contacts",
    type_id="0-1",
    singular="contact",
    internal_name="CONTACT",
    created_property="createdate",
    modified_property="lastmodifieddate",
    default_properties=("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
)
COMPANIES = ObjectType(
    name="companies",
    type_id="0-2",
    singular="company",
    internal_name="COMPANY",
    created_property="createdate",
    modified_property="hs_lastmodifieddate",
    default_properties=("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
)
# Engagements use hs_createdate, not createdate, and HubSpot requires hs_timestamp on them.
MEETINGS = ObjectType(
    name="meetings",
    type_id="0-47",
    singular="meeting",
    internal_name="MEETING_EVENT",
    created_property="hs_createdate",
    modified_property="hs_lastmodifieddate",
    default_properties=("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    required_on_create=("hs_timestamp",),
)
CALLS = ObjectType(
    name="calls",
    type_id="0-48",
    singular="call",
    internal_name="CALL",
    created_property="hs_createdate",
    modified_property="hs_lastmodifieddate",
    default_properties=("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    required_on_create=("hs_timestamp",),
)
EMAILS = ObjectType(
    name="emails",
    type_id="0-49",
    singular="email",
    internal_name="EMAIL",
    created_property="hs_createdate",
    modified_property="hs_lastmodifieddate",
    default_properties=("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    required_on_create=("hs_timestamp",),
)

DEALS = ObjectType(
    name="deals",
    type_id="0-3",
    singular="deal",
    internal_name="DEAL",
    created_property="createdate",
    modified_property="hs_lastmodifieddate",
    default_properties=(
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ),
)
# Tasks are engagements too: hs_createdate, and HubSpot refuses a task without hs_timestamp (its due date).
TASKS = ObjectType(
    name="tasks",
    type_id="0-27",
    singular="task",
    internal_name="TASK",
    created_property="hs_createdate",
    modified_property="hs_lastmodifieddate",
    default_properties=("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    required_on_create=("hs_timestamp",),
)

# Leads (Sales Hub Professional and up): hs_createdate like engagements; a lead needs its name (and, checked by the
# store, an association to its primary contact) on create.
LEADS = ObjectType(
    name="leads",
    type_id="0-136",
    singular="lead",
    internal_name="LEAD",
    created_property="hs_createdate",
    modified_property="hs_lastmodifieddate",
    default_properties=("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    required_on_create=("hs_lead_name",),
)

OBJECT_TYPES: tuple[ObjectType, ...] = (CONTACTS, COMPANIES, DEALS, TASKS, MEETINGS, CALLS, EMAILS, LEADS)
_BY_ALIAS: dict[str, ObjectType] = {alias: t for t in OBJECT_TYPES for alias in t.aliases}


def resolve(segment: str) -> ObjectType:
    """Return the object type a path segment names (name, singular or type id), or raise HubSpot's 400."""
    found = _BY_ALIAS.get(segment.lower())
    if found is None:
        raise HubSpotError(400, f"Unable to infer object type from: {segment}")
    return found
