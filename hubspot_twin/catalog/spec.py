"""A compact way to write down HubSpot's default property definitions."""

from __future__ import annotations

from dataclasses import dataclass

from hubspot_twin.model import OptionDef, PropertyDef


@dataclass(frozen=True)
class PropertySpec:
    """A default (HubSpot-defined) property; ``options`` are ``(value, label)`` pairs."""

    name: str
    label: str
    type: str
    field_type: str
    group: str
    options: tuple[tuple[str, str], ...] = ()
    read_only_value: bool = False
    external_options: bool = False
    referenced_object_type: str | None = None
    description: str = ""

    def build(self, now: str) -> PropertyDef:
        """Return a fresh definition of this property, created at ``now``."""
        return PropertyDef(
            name=self.name,
            label=self.label,
            type=self.type,
            field_type=self.field_type,
            group_name=self.group,
            created_at=now,
            updated_at=now,
            description=self.description,
            options=[OptionDef(label, value, index) for index, (value, label) in enumerate(self.options)],
            form_field=not self.read_only_value,
            calculated=self.read_only_value,
            external_options=self.external_options,
            read_only_value=self.read_only_value,
            referenced_object_type=self.referenced_object_type,
        )


def text(name: str, label: str, group: str, *, read_only: bool = False, field_type: str = "text") -> PropertySpec:
    """Return a string property."""
    return PropertySpec(name, label, "string", field_type, group, read_only_value=read_only)


def number(name: str, label: str, group: str, *, read_only: bool = False) -> PropertySpec:
    """Return a number property."""
    return PropertySpec(name, label, "number", "number", group, read_only_value=read_only)


def datetime_(name: str, label: str, group: str, *, read_only: bool = False) -> PropertySpec:
    """Return a datetime property."""
    return PropertySpec(name, label, "datetime", "date", group, read_only_value=read_only)


def choice(
    name: str,
    label: str,
    group: str,
    options: tuple[tuple[str, str], ...],
    *,
    field_type: str = "select",
    read_only: bool = False,
    referenced_object_type: str | None = None,
) -> PropertySpec:
    """Return an enumeration property with HubSpot's internal option values.

    ``referenced_object_type`` (``PIPELINE``, ``PIPELINE_STAGE``): the options mirror other portal state and the
    write rules, not the option list, decide which values are valid."""
    return PropertySpec(
        name,
        label,
        "enumeration",
        field_type,
        group,
        options=options,
        read_only_value=read_only,
        referenced_object_type=referenced_object_type,
    )


def flag(name: str, label: str, group: str, *, read_only: bool = False) -> PropertySpec:
    """Return a bool property (HubSpot's single checkbox)."""
    options = (("true", "Yes"), ("false", "No"))
    return PropertySpec(name, label, "bool", "booleancheckbox", group, options=options, read_only_value=read_only)


def owner(label: str, group: str) -> PropertySpec:
    """Return a ``hubspot_owner_id`` property (options come from the owners API, not the definition)."""
    return PropertySpec(
        "hubspot_owner_id",
        label,
        "enumeration",
        "select",
        group,
        external_options=True,
        referenced_object_type="OWNER",
    )


def record_id(group: str) -> PropertySpec:
    """Return ``hs_object_id``."""
    return number("hs_object_id", "Record ID", group, read_only=True)
