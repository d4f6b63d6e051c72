"""Check a write against the whole portal, the way HubSpot does before it stores anything.

On top of the per-value rules (``values.py``): ``hubspot_owner_id`` must name an active owner, deals follow their
pipeline (``deal_rules.py``), leads theirs (``lead_rules.py``), ``lifecyclestage`` only moves forward, required
properties are present on create, and unique values stay unique (``unique_values.py``). Every invalid property of
one write is reported in one 400.
"""

from __future__ import annotations

from collections.abc import Mapping

from hubspot_twin.catalog import DEALS, LEADS, MEETINGS, TASKS, ObjectType, resolve
from hubspot_twin.catalog.contacts import LIFECYCLE_STAGES
from hubspot_twin.crm.deal_rules import deal_values, task_values
from hubspot_twin.crm.indexes import ValueIndex
from hubspot_twin.crm.lead_rules import lead_values
from hubspot_twin.crm.owners import Owners
from hubspot_twin.crm.pipelines import Pipelines
from hubspot_twin.crm.schema import Schema
from hubspot_twin.crm.unique_values import Claims, check_unique
from hubspot_twin.crm.values import check_writes
from hubspot_twin.errors import Issue, property_values_error
from hubspot_twin.model import CrmObject

Values = dict[str, str | None]
LIFECYCLE_ORDER = tuple(value for value, _ in LIFECYCLE_STAGES)
MAX_OWNER_ID = 2**31 - 1


class WriteRules:
    """The checks of creates and updates; callers hold the store's lock."""

    def __init__(
        self, schema: Schema, owners: Owners, pipelines: Pipelines, values: ValueIndex, lead_pipelines: Pipelines
    ) -> None:
        self._schema = schema
        self._owners = owners
        self._pipelines = pipelines
        self._lead_pipelines = lead_pipelines
        self._values = values

    def for_create(
        self, otype: ObjectType, raw: object, now: str, new_id: str, *, system: bool, claimed: Claims | None
    ) -> dict[str, str]:
        """Return the values a create stores (set ones only), or raise HubSpot's error."""
        values = self._checked(otype, raw, {}, now, system=system, creating=True)
        check_unique(self._values, otype, self._schema.definitions(otype), values, new_id, claimed)
        return {name: value for name, value in values.items() if value is not None}

    def for_update(self, obj: CrmObject, raw: object, now: str, *, system: bool, claimed: Claims | None) -> Values:
        """Return the values an update writes (None clears), or raise HubSpot's error."""
        otype = resolve(obj.object_type)
        values = self._checked(otype, raw, obj.properties, now, system=system, creating=False)
        check_unique(self._values, otype, self._schema.definitions(otype), values, obj.id, claimed)
        return values

    def _checked(
        self, otype: ObjectType, raw: object, current: Mapping[str, str], now: str, *, system: bool, creating: bool
    ) -> Values:
        values, issues = check_writes(self._schema.definitions(otype), raw, current, system=system)
        values = forward_lifecycle(values, current)
        issues.extend(owner_issues(self._owners, values))
        added, more = self._calculated(otype, values, current, now, creating=creating)
        issues.extend(more)
        if creating:
            issues.extend(missing_required(otype, {**values, **added}))
        if issues:
            raise property_values_error(issues)
        return {**values, **added}

    def _calculated(
        self, otype: ObjectType, values: Values, current: Mapping[str, str], now: str, *, creating: bool
    ) -> tuple[Values, list[Issue]]:
        """Return what HubSpot derives from a write of ``otype`` and the issues found on the way."""
        if otype is DEALS:
            return deal_values(self._pipelines, values, current, creating=creating)
        if otype is LEADS:
            return lead_values(self._lead_pipelines, values, current, creating=creating)
        if otype is TASKS:
            return task_values(values, current, now), []
        # A meeting without hs_timestamp takes its start time.
        if otype is MEETINGS and creating and not values.get("hs_timestamp") and values.get("hs_meeting_start_time"):
            return {"hs_timestamp": values["hs_meeting_start_time"]}, []
        return {}, []


def forward_lifecycle(values: Values, current: Mapping[str, str]) -> Values:
    """Drop a ``lifecyclestage`` write that would move the stage backward (HubSpot ignores it, answering 200)."""
    new, old = values.get("lifecyclestage"), current.get("lifecyclestage")
    if new in LIFECYCLE_ORDER and old in LIFECYCLE_ORDER and LIFECYCLE_ORDER.index(new) < LIFECYCLE_ORDER.index(old):
        return {name: value for name, value in values.items() if name != "lifecyclestage"}
    return values


def owner_issues(owners: Owners, values: Mapping[str, str | None]) -> list[Issue]:
    """Return the issue of a ``hubspot_owner_id`` that is not an active owner's id (clearing it is fine)."""
    value = values.get("hubspot_owner_id")
    if value is None:
        return []
    if not value.isdigit() or int(value) > MAX_OWNER_ID:
        message = f"{value} was not a valid integer (for owner ID)."
        return [Issue("hubspot_owner_id", value, "INVALID_INTEGER", message)]
    if not owners.can_own(value):
        return [Issue("hubspot_owner_id", value, "INVALID_OWNER_ID", f"{value} is not a valid owner id")]
    return []


def missing_required(otype: ObjectType, values: Mapping[str, str | None]) -> list[Issue]:
    """Return an issue per property HubSpot requires on create that the write leaves out."""
    return [
        Issue(name, "", "REQUIRED_PROPERTY", f'Property "{name}" is required')
        for name in otype.required_on_create
        if not values.get(name)
    ]
