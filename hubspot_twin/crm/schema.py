"""The property definitions and groups of each object type, and the properties API's rules for changing them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from hubspot_twin.catalog import DEFAULT_GROUPS, DEFAULT_PROPERTIES, ObjectType
from hubspot_twin.crm import property_input as pi
from hubspot_twin.errors import HubSpotError, not_found
from hubspot_twin.model import OptionDef, PropertyDef, PropertyGroup

if TYPE_CHECKING:
    from hubspot_twin.crm.pipelines import Pipeline

# The pipeline and stage properties of the types with pipelines.
PIPELINE_PROPERTIES: dict[str, tuple[str, str]] = {
    "deals": ("pipeline", "dealstage"),
    "leads": ("hs_pipeline", "hs_pipeline_stage"),
}
# HubSpot allows at most 10 unique-value properties per object type.
MAX_UNIQUE_PROPERTIES = 10

# Fields of PropertyUpdate that may change: PropertyDef attribute and how to read the value.
_UPDATABLE: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "label": ("label", str),
    "description": ("description", str),
    "displayOrder": ("display_order", pi.as_int),
    "hidden": ("hidden", bool),
    "formField": ("form_field", bool),
    "calculationFormula": ("calculation_formula", str),
}


class Schema:
    """Definitions and groups per object type name; the store guards it with its lock."""

    def __init__(self, now: str) -> None:
        self.properties: dict[str, dict[str, PropertyDef]] = {
            type_name: {spec.name: spec.build(now) for spec in specs} for type_name, specs in DEFAULT_PROPERTIES.items()
        }
        self.groups: dict[str, dict[str, PropertyGroup]] = {
            type_name: {name: PropertyGroup(name, label, index) for index, (name, label) in enumerate(groups)}
            for type_name, groups in DEFAULT_GROUPS.items()
        }

    def definitions(self, otype: ObjectType) -> dict[str, PropertyDef]:
        """Return the live (not archived) definitions of a type by name."""
        return {name: d for name, d in self.properties[otype.name].items() if not d.archived}

    def get_property(self, otype: ObjectType, name: str) -> PropertyDef:
        """Return one live definition, or raise HubSpot's 404."""
        found = self.definitions(otype).get(name)
        if found is None:
            raise not_found(f"Unable to find property {name} for object type {otype.name}")
        return found

    def create_property(self, otype: ObjectType, body: dict[str, Any], now: str) -> PropertyDef:
        """Create a custom property from a ``PropertyCreate`` body."""
        pi.check_create(body)
        options = pi.parse_options(body.get("options") or [])
        pi.check_enumeration(str(body["type"]), options)
        self._require_group(otype, str(body["groupName"]))
        name = str(body["name"])
        if name in self.definitions(otype):
            raise HubSpotError(409, f"A property named '{name}' already exists.", "OBJECT_ALREADY_EXISTS")
        if body.get("hasUniqueValue") is True:
            self._check_unique_room(otype)
        created = PropertyDef(
            name=name,
            label=str(body["label"]),
            type=str(body["type"]),
            field_type=str(body["fieldType"]),
            group_name=str(body["groupName"]),
            created_at=now,
            updated_at=now,
            description=str(body.get("description") or ""),
            options=options,
            display_order=pi.as_int(body.get("displayOrder")),
            hidden=bool(body.get("hidden", False)),
            form_field=bool(body.get("formField", False)),
            has_unique_value=bool(body.get("hasUniqueValue", False)),
            hubspot_defined=False,
            external_options=bool(body.get("externalOptions", False)),
            read_only_definition=False,
            calculation_formula=body.get("calculationFormula"),
        )
        self.properties[otype.name][name] = created
        return created

    def update_property(self, otype: ObjectType, name: str, body: dict[str, Any], now: str) -> PropertyDef:
        """Apply a ``PropertyUpdate`` body; HubSpot-defined properties keep their type and field type."""
        current = self.get_property(otype, name)
        if "hasUniqueValue" in body and bool(body["hasUniqueValue"]) != current.has_unique_value:
            raise HubSpotError(400, f"hasUniqueValue of property {name} cannot be changed after it is created")
        type_ = str(body.get("type") or current.type)
        field_type = str(body.get("fieldType") or current.field_type)
        if current.hubspot_defined and (type_, field_type) != (current.type, current.field_type):
            raise HubSpotError(400, f"The type of the HubSpot-defined property {name} cannot be changed")
        pi.check_types(type_, field_type)
        options = pi.parse_options(body["options"]) if "options" in body else current.options
        pi.check_enumeration(type_, options)
        if body.get("groupName"):
            current.group_name = self._require_group(otype, str(body["groupName"]))
        for key, (attribute, read) in _UPDATABLE.items():
            if body.get(key) is not None:
                setattr(current, attribute, read(body[key]))
        current.type, current.field_type, current.options, current.updated_at = type_, field_type, options, now
        return current

    def sync_pipeline_options(self, pipelines: Iterable[Pipeline], now: str, *, object_type: str = "deals") -> None:
        """Offer every pipeline of a type as an option of its pipeline property (deals: ``pipeline``, leads:
        ``hs_pipeline``) and every stage as an option of its stage property (``dealstage``, ``hs_pipeline_stage``)."""
        pipeline_name, stage_name = PIPELINE_PROPERTIES[object_type]
        pipelines = list(pipelines)
        stages = [stage for pipeline in pipelines for stage in pipeline.stages]
        definitions = self.properties[object_type]
        definitions[pipeline_name].options = [OptionDef(p.label, p.id, p.display_order) for p in pipelines]
        definitions[stage_name].options = [OptionDef(s.label, s.id, order) for order, s in enumerate(stages)]
        definitions[pipeline_name].updated_at = definitions[stage_name].updated_at = now

    def _check_unique_room(self, otype: ObjectType) -> None:
        """Raise HubSpot's 400 when a type already has its 10 unique-value properties."""
        unique = [d for d in self.definitions(otype).values() if d.has_unique_value]
        if len(unique) >= MAX_UNIQUE_PROPERTIES:
            raise HubSpotError(
                400,
                f"Object type {otype.name} already has the maximum of {MAX_UNIQUE_PROPERTIES} unique value "
                "properties; a new property cannot have hasUniqueValue set",
            )

    def _require_group(self, otype: ObjectType, name: str) -> str:
        """Return ``name`` when it names a live group; a property naming another group is HubSpot's 400."""
        group = self.groups[otype.name].get(name)
        if group is None or group.archived:
            raise HubSpotError(400, f"Property group {name} does not exist for {otype.name}")
        return name

    def get_group(self, otype: ObjectType, name: str) -> PropertyGroup:
        """Return one live group, or raise HubSpot's 404."""
        found = self.groups[otype.name].get(name)
        if found is None or found.archived:
            raise not_found(f"Unable to find property group {name} for object type {otype.name}")
        return found

    def create_group(self, otype: ObjectType, body: dict[str, Any]) -> PropertyGroup:
        """Create a group from a ``PropertyGroupCreate`` body."""
        pi.check_group_create(body)
        name = str(body["name"])
        if name in self.groups[otype.name] and not self.groups[otype.name][name].archived:
            raise HubSpotError(409, f"A property group named '{name}' already exists.", "OBJECT_ALREADY_EXISTS")
        group = PropertyGroup(name, str(body["label"]), pi.as_int(body.get("displayOrder")))
        self.groups[otype.name][name] = group
        return group

    def update_group(self, otype: ObjectType, name: str, body: dict[str, Any]) -> PropertyGroup:
        """Apply a ``PropertyGroupUpdate`` body (label, displayOrder)."""
        group = self.get_group(otype, name)
        if body.get("label"):
            group.label = str(body["label"])
        if isinstance(body.get("displayOrder"), int):
            group.display_order = body["displayOrder"]
        return group
