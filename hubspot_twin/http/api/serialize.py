"""Records, property definitions, batch envelopes, owners and pipelines in the JSON shapes of HubSpot (and the
SDK's models)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hubspot_twin.catalog import ObjectType
from hubspot_twin.crm.owners import Owner
from hubspot_twin.crm.pipelines import Pipeline, Stage
from hubspot_twin.model import CrmObject, PropertyDef, PropertyGroup


def object_json(
    obj: CrmObject,
    otype: ObjectType,
    definitions: Mapping[str, PropertyDef],
    names: Sequence[str] | None = None,
    history: Sequence[str] = (),
) -> dict[str, Any]:
    """Return a ``SimplePublicObject``: requested properties (unset ones null, unknown ones left out) plus the
    ones every read carries; ``names=None`` means the type's default set."""
    wanted = otype.default_properties if names is None else (*names, *otype.always_properties)
    properties = {name: obj.properties.get(name) for name in sorted(set(wanted)) if name in definitions}
    return _envelope(obj, properties, _history(obj, history, definitions))


def stored_json(obj: CrmObject) -> dict[str, Any]:
    """Return a ``SimplePublicObject`` with every stored property (what create and update answer)."""
    return _envelope(obj, dict(sorted(obj.properties.items())), None)


def _envelope(obj: CrmObject, properties: dict[str, str | None], history: dict[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": obj.id, "properties": properties}
    if history is not None:
        body["propertiesWithHistory"] = history
    body.update(createdAt=obj.created_at, updatedAt=obj.updated_at, archived=obj.archived)
    if obj.archived_at is not None:
        body["archivedAt"] = obj.archived_at
    return body


def _history(obj: CrmObject, names: Sequence[str], definitions: Mapping[str, PropertyDef]) -> dict[str, Any] | None:
    if not names:
        return None
    return {
        name: [
            {"value": v.value, "timestamp": v.timestamp, "sourceType": v.source_type} for v in obj.history.get(name, [])
        ]
        for name in names
        if name in definitions
    }


def batch_json(
    results: Iterable[dict[str, Any]], errors: list[dict[str, Any]], started_at: str, completed_at: str
) -> dict[str, Any]:
    """Return a batch response: ``status``, ``results``, then ``numErrors``/``errors`` when any, then times."""
    body: dict[str, Any] = {"status": "COMPLETE", "results": list(results)}
    if errors:
        body.update(numErrors=len(errors), errors=errors)
    body.update(startedAt=started_at, completedAt=completed_at)
    return body


def property_json(definition: PropertyDef) -> dict[str, Any]:
    """Return a ``Property`` with every field the SDK's model requires."""
    body: dict[str, Any] = {
        "updatedAt": definition.updated_at,
        "createdAt": definition.created_at,
        "name": definition.name,
        "label": definition.label,
        "type": definition.type,
        "fieldType": definition.field_type,
        "description": definition.description,
        "groupName": definition.group_name,
        "options": [
            {
                "label": o.label,
                "value": o.value,
                "description": o.description,
                "displayOrder": o.display_order,
                "hidden": o.hidden,
            }
            for o in definition.options
        ],
        "displayOrder": definition.display_order,
        "calculated": definition.calculated,
        "externalOptions": definition.external_options,
        "hasUniqueValue": definition.has_unique_value,
        "hidden": definition.hidden,
        "hubspotDefined": definition.hubspot_defined,
        "modificationMetadata": {
            "archivable": not definition.hubspot_defined,
            "readOnlyDefinition": definition.read_only_definition,
            "readOnlyValue": definition.read_only_value,
        },
        "formField": definition.form_field,
        "archived": definition.archived,
    }
    if definition.referenced_object_type is not None:
        body["referencedObjectType"] = definition.referenced_object_type
    if definition.calculation_formula is not None:
        body["calculationFormula"] = definition.calculation_formula
    return body


def group_json(group: PropertyGroup) -> dict[str, Any]:
    """Return a ``PropertyGroup``."""
    return {"name": group.name, "label": group.label, "displayOrder": group.display_order, "archived": group.archived}


def owner_json(owner: Owner) -> dict[str, Any]:
    """Return a ``PublicOwner`` (an archived owner has no ``userId``, only ``userIdIncludingInactive``)."""
    return {
        "id": owner.id,
        "email": owner.email,
        "type": "PERSON",
        "firstName": owner.first_name,
        "lastName": owner.last_name,
        "userId": None if owner.archived else owner.user_id,
        "userIdIncludingInactive": owner.user_id,
        "createdAt": owner.created_at,
        "updatedAt": owner.updated_at,
        "archived": owner.archived,
        "teams": [{"id": team.id, "name": team.name, "primary": team.primary} for team in owner.teams],
    }


def pipeline_json(pipeline: Pipeline) -> dict[str, Any]:
    """Return a ``Pipeline`` with its stages."""
    return {
        "label": pipeline.label,
        "displayOrder": pipeline.display_order,
        "id": pipeline.id,
        "stages": [stage_json(stage, pipeline) for stage in pipeline.stages],
        "createdAt": pipeline.created_at,
        "updatedAt": pipeline.created_at,
        "archived": False,
    }


def stage_json(stage: Stage, pipeline: Pipeline) -> dict[str, Any]:
    """Return a ``PipelineStage`` (metadata values are strings, as HubSpot sends them)."""
    return {
        "label": stage.label,
        "displayOrder": stage.display_order,
        "metadata": stage.metadata(),
        "id": stage.id,
        "createdAt": stage.created_at,
        "updatedAt": pipeline.created_at,
        "archived": False,
        "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
    }
