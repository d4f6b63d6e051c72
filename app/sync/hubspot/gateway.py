"""The HubSpot gateway: the small interface the shell uses, whatever implements it (the SDK, a fake)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from app.rules.handover.leads import LeadPipeline
from app.rules.handover.types import Owner
from app.rules.properties import PropertyInfo, PropertyOption
from app.rules.scoring.recall import PropertyVersion
from app.sync.hubspot.errors import PermanentHubSpotError

Properties = dict[str, str | None]
History = dict[str, list[PropertyVersion]]  # property name → the values it held, with when it took each
HISTORY_BATCH_LIMIT = 50  # HubSpot reads property histories of at most 50 objects per batch request

API_OBJECT_TYPES = {
    "contact": "contacts",
    "company": "companies",
    "deal": "deals",
    "ticket": "tickets",
    "task": "tasks",
    "note": "notes",
    "meeting": "meetings",
    "call": "calls",
    "email": "emails",
    "lead": "leads",
}
# The contact property in which HubSpot keeps the id of the contact's primary company (read-only, kept in step with
# the primary contact→company association): read with the contact, it saves an association read per drain.
PRIMARY_COMPANY_ID = "associatedcompanyid"
# HubSpot's HUBSPOT_DEFINED association type ids; they are direction-specific (contact→task is 203, not 204).
TASK_TO_CONTACT = 204
TASK_TO_COMPANY = 192
TASK_TO_DEAL = 216
DEAL_TO_CONTACT = 3
DEAL_TO_COMPANY = 341  # unlabeled
PRIMARY_DEAL_TO_COMPANY = 5
LEAD_TO_PRIMARY_CONTACT = 578  # required when a lead is created (HubSpot's leads guide)
LEAD_TO_COMPANY = 610


@dataclass(frozen=True)
class NewRecord:
    """A record to create with its associations: (to object type, to id, HUBSPOT_DEFINED type id)."""

    properties: Mapping[str, str]
    associations: tuple[tuple[str, str, int], ...] = ()


@dataclass(frozen=True)
class Upserted:
    """What a batch upsert did: `ids` maps each written key to its HubSpot object id; `refused` gives the reason."""

    ids: dict[str, str]
    refused: dict[str, str]

    def require(self) -> dict[str, str]:
        """Return `ids`, or raise `PermanentHubSpotError` naming every refused key when HubSpot refused any."""
        if self.refused:
            reasons = "; ".join(f"{key}: {reason}" for key, reason in sorted(self.refused.items()))
            raise PermanentHubSpotError(f"HubSpot refused {len(self.refused)} record(s): {reasons}")
        return self.ids


@dataclass(frozen=True)
class Enrollment:
    """A contact's enrollment in a sales sequence, as HubSpot reports it."""

    id: str
    sequence_id: str


@dataclass(frozen=True)
class DealPipeline:
    """A deal pipeline of the portal: its id, label and stage ids in display order."""

    id: str
    label: str
    stage_ids: tuple[str, ...]


class HubSpotGateway(Protocol):
    """Every HubSpot call Leadflow makes; batch endpoints only, at most 100 records per request."""

    def read_objects(self, object_type: str, ids: Sequence[str], properties: Sequence[str]) -> dict[str, Properties]:
        """Return the properties of the objects HubSpot has, by id (ids it lacks are absent)."""
        ...

    def read_histories(self, object_type: str, ids: Sequence[str], properties: Sequence[str]) -> dict[str, History]:
        """Return every value the properties held (`propertiesWithHistory`), by object id (ids it lacks are
        absent); HubSpot reads histories 50 objects per request."""
        ...

    def read_associations(self, from_type: str, to_type: str, ids: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
        """Return, per object id, its associated `to_type` ids with their association type ids."""
        ...

    def update_objects(self, object_type: str, updates: Mapping[str, Mapping[str, str | None]]) -> dict[str, str]:
        """Write the properties; return the ids HubSpot refused for good, with the reason."""
        ...

    def upsert_objects(self, object_type: str, id_property: str, records: Mapping[str, Mapping[str, str]]) -> Upserted:
        """Create or update records by a unique property (`records` key = its value); return their ids.

        Records HubSpot refuses for good are in `Upserted.refused`, never silently dropped: the caller decides
        whether one refusal fails the whole batch (`Upserted.require()`) or only its own handover.
        """
        ...

    def create_objects(self, object_type: str, id_property: str, records: Mapping[str, NewRecord]) -> Upserted:
        """Create records with their associations (batch create; for objects HubSpot creates only with an
        association, such as leads); `records` key = the unique `id_property` value each gets. A key another
        record already holds is refused ("already has that value"), like any refusal, in `Upserted.refused`."""
        ...

    def create_associations(self, from_type: str, to_type: str, pairs: Sequence[tuple[str, str, int]]) -> None:
        """Associate (from id, to id, HUBSPOT_DEFINED type id) pairs; existing associations are left as they are."""
        ...

    def lead_pipelines(self) -> list[LeadPipeline]:
        """Return the lead pipelines with their stages in display order (`GET /crm/v3/pipelines/leads`); a portal
        without Leads answers 403 (PermanentHubSpotError)."""
        ...

    def uncertain_writes(self, object_type: str) -> set[str]:
        """Return (and forget) the records whose update HubSpot left unanswered (it may apply it late)."""
        ...

    def owners(self) -> list[Owner]:
        """Return every owner of the portal, active and archived (`active=False`)."""
        ...

    def list_objects(
        self, object_type: str, after: str | None, properties: Sequence[str]
    ) -> tuple[dict[str, Properties], str | None]:
        """Return one page of objects (up to 100) with these properties, by id, and the cursor of the next page."""
        ...

    def count(self, object_type: str) -> int:
        """Return how many objects of the type the portal has (one search request)."""
        ...

    def properties(self, object_type: str) -> list[PropertyInfo]:
        """Return every property definition of the object type."""
        ...

    def create_property(self, object_type: str, definition: PropertyInfo) -> None: ...

    def update_property_options(self, object_type: str, name: str, options: Sequence[PropertyOption]) -> None: ...

    def property_group_exists(self, object_type: str, name: str) -> bool: ...

    def create_property_group(self, object_type: str, name: str, label: str) -> None: ...

    def list_processing_type(self, list_id: str) -> str | None:
        """Return a contact list's processing type (MANUAL, SNAPSHOT, DYNAMIC), None when the portal has no list of
        that id (or it holds no contacts)."""
        ...

    def add_list_members(self, list_id: str, record_ids: Sequence[str]) -> list[str]:
        """Add contacts to a MANUAL (or SNAPSHOT) list, one request (Lists v3 `memberships/add`); return the ids
        HubSpot says it lacks (`recordIdsMissing`). Members already in the list stay, and are not missing."""
        ...

    def enroll_in_sequence(self, sequence_id: str, contact_id: str, user_id: str, sender_email: str) -> str:
        """Enroll a contact in a sales sequence as the user `user_id`, sending from `sender_email`; return the
        enrollment's id. A contact already in a sequence is refused (`PermanentHubSpotError`)."""
        ...

    def sequence_enrollment(self, contact_id: str) -> Enrollment | None:
        """Return the contact's current sequence enrollment, or None when it is in no sequence."""
        ...


@runtime_checkable
class PortalInspection(Protocol):
    """The reads only `leadflow doctor` makes. They are kept out of `HubSpotGateway`, whose every method the app's
    scope table (`app/rules/app_project/scopes.py`) maps to a scope: token introspection needs none, and the deal
    pipelines need `crm.objects.deals.read`, which scoring always asks for."""

    def token_scopes(self) -> frozenset[str]:
        """Return the scopes the access token holds (HubSpot's private-app token introspection)."""
        ...

    def deal_pipelines(self) -> list[DealPipeline]:
        """Return every deal pipeline of the portal with its stages."""
        ...


@runtime_checkable
class DoctorGateway(HubSpotGateway, PortalInspection, Protocol):
    """A gateway `leadflow doctor` can read the portal with: the SDK's and the in-memory one both are."""
