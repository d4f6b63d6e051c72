"""The scopes Leadflow's app needs: every HubSpot call it makes, by feature, mapped to HubSpot's scopes.

`METHOD_ACCESS` names the access each method of the gateway (`app/sync/hubspot/gateway.py`) needs; `FEATURE_CALLS`
lists the (method, object type) calls each feature makes, as the shell makes them; a scope is asked for only when
a configured feature makes a call that needs it. HubSpot's scope reference:
https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/scopes
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from app.rules.app_project.features import Feature, Features

Access = Literal["none", "read", "write", "schema-read", "schema-write", "owners", "list-read", "list-write",
                 "sequence-read", "sequence-write"]  # fmt: skip

METHOD_ACCESS: dict[str, Access] = {
    "read_objects": "read",  # POST /crm/v3/objects/{type}/batch/read
    "read_histories": "read",  # the same batch read, with propertiesWithHistory
    "list_objects": "read",  # GET /crm/v3/objects/{type} (pages)
    "count": "read",  # POST /crm/v3/objects/{type}/search (total only)
    "read_associations": "read",  # POST /crm/v4/associations/{from}/{to}/batch/read: reads the from-objects
    "update_objects": "write",  # POST /crm/v3/objects/{type}/batch/update
    "upsert_objects": "write",  # POST /crm/v3/objects/{type}/batch/upsert
    "create_associations": "write",  # POST /crm/v4/associations/{from}/{to}/batch/create: writes the from-objects
    "create_objects": "write",  # POST /crm/v3/objects/{type}/batch/create
    "lead_pipelines": "schema-read",  # GET /crm/v3/pipelines/leads: the lead pipeline definitions
    "uncertain_writes": "none",  # bookkeeping of writes already made: no request
    "properties": "schema-read",  # GET /crm/v3/properties/{type}
    "property_group_exists": "schema-read",  # GET /crm/v3/properties/{type}/groups/{name}
    "create_property": "schema-write",  # POST /crm/v3/properties/{type}
    "update_property_options": "schema-write",  # PATCH /crm/v3/properties/{type}/{name}
    "create_property_group": "schema-write",  # POST /crm/v3/properties/{type}/groups
    "owners": "owners",  # GET /crm/v3/owners
    "list_processing_type": "list-read",  # GET /crm/v3/lists/{id}
    "add_list_members": "list-write",  # PUT /crm/v3/lists/{id}/memberships/add
    "sequence_enrollment": "sequence-read",  # GET /automation/v4/sequences/enrollments/contact/{id}
    "enroll_in_sequence": "sequence-write",  # POST /automation/v4/sequences/enrollments
}

# The scope family of each object type the gateway touches. HubSpot's engagement objects (tasks, calls, e-mails,
# meetings, notes) have no scopes of their own: their endpoints take the contact scopes.
OBJECT_SCOPE_NAMES = {
    "contact": "contacts",
    "company": "companies",
    "deal": "deals",
    "task": "contacts",
    "call": "contacts",
    "email": "contacts",
    "meeting": "contacts",
    "note": "contacts",
    "lead": "leads",
}
# Property (and pipeline) definitions: contacts, companies, deals and leads have schema scopes; the engagements'
# properties go with their object scopes (as their records do).
SCHEMA_SCOPE_NAMES = {"contact": "contacts", "company": "companies", "deal": "deals", "lead": "leads"}
# Scopes that belong to no object type.
PLAIN_SCOPES: dict[Access, str] = {
    "owners": "crm.objects.owners.read",
    "list-read": "crm.lists.read",
    "list-write": "crm.lists.write",
    "sequence-read": "automation.sequences.read",
    "sequence-write": "automation.sequences.enrollments.write",
}
# HubSpot's own project templates for static-auth private apps list `oauth` first; every app has it.
BASE_SCOPES = frozenset({"oauth"})

Call = tuple[str, str | None]  # (gateway method, object type or None)
# `leadflow setup` creates Leadflow's group and properties on contacts, and the handover id on deals and tasks
# (whether or not handover.yaml is there); it only reads the companies' property definitions.
SETUP_OBJECTS = ("contact", "deal", "task")
SETUP_METHODS = ("properties", "property_group_exists", "create_property", "create_property_group")
FEATURE_CALLS: dict[Feature, tuple[Call, ...]] = {
    # The drain, re-scoring, recall, property setup and the KPI backfill: always on.
    "scoring": (
        ("read_objects", "contact"), ("read_objects", "company"), ("read_histories", "contact"),
        ("read_histories", "company"), ("list_objects", "contact"), ("list_objects", "company"),
        ("count", "contact"), ("count", "company"), ("read_associations", "contact"),
        ("read_associations", "company"), ("update_objects", "contact"), ("uncertain_writes", "contact"),
        ("read_objects", "deal"), ("read_histories", "deal"),
        *((method, object_type) for object_type in SETUP_OBJECTS for method in SETUP_METHODS),
        ("update_property_options", "contact"), ("properties", "company"),
    ),
    # Engagement objects the signal rules count (object.creation): their contacts are read through associations.
    "engagement-signals": (
        ("read_associations", "meeting"), ("read_associations", "call"), ("read_associations", "email"),
    ),
    # Routing, tasks and deals, and sales' answers (task status, deal stage).
    "handover": (
        ("owners", None), ("upsert_objects", "task"), ("upsert_objects", "deal"), ("update_objects", "task"),
        ("update_objects", "deal"), ("read_objects", "task"), ("read_objects", "deal"),
        ("create_associations", "task"), ("create_associations", "deal"),
    ),
    # The cycle's Lead (handover.yaml `leads`, where the portal has Leads): setup detects them by their pipelines
    # and creates Leadflow's lead properties; the drain creates and updates Leads and reads back their stage.
    "leads": (
        ("lead_pipelines", "lead"), *((method, "lead") for method in SETUP_METHODS), ("create_objects", "lead"),
        ("update_objects", "lead"), ("upsert_objects", "lead"), ("read_objects", "lead"),
    ),
    # The SLA's first touches (the engagement objects sla.yaml allows) and reassignments.
    "sla": (
        ("read_objects", "meeting"), ("read_objects", "call"), ("read_objects", "email"),
        ("read_associations", "meeting"), ("read_associations", "call"), ("read_associations", "email"),
        ("update_objects", "task"), ("update_objects", "deal"),
    ),
    "nurture-lists": (("list_processing_type", None), ("add_list_members", None)),
    "nurture-sequence": (("enroll_in_sequence", None), ("sequence_enrollment", None)),
}  # fmt: skip


def required_scopes(features: Features) -> tuple[str, ...]:
    """Return the scopes the enabled features' calls need, sorted."""
    calls = (call for feature in features.enabled() for call in FEATURE_CALLS[feature])
    return tuple(sorted(BASE_SCOPES | set(scopes_of(calls))))


def scopes_of(calls: Iterable[Call]) -> Iterable[str]:
    """Yield the scope each call needs (none for bookkeeping that sends no request)."""
    for method, object_type in calls:
        scope = scope_of(METHOD_ACCESS[method], object_type)
        if scope is not None:
            yield scope


def scope_of(access: Access, object_type: str | None) -> str | None:
    """Return the one scope `access` to `object_type` needs (None for none)."""
    if access == "none":
        return None
    if access in PLAIN_SCOPES:
        return PLAIN_SCOPES[access]
    if object_type is None:
        raise ValueError(f"{access} access needs an object type")
    verb = "write" if access.endswith("write") else "read"
    if access.startswith("schema-") and object_type in SCHEMA_SCOPE_NAMES:
        return f"crm.schemas.{SCHEMA_SCOPE_NAMES[object_type]}.{verb}"
    return f"crm.objects.{OBJECT_SCOPE_NAMES[object_type]}.{verb}"
