"""The twin's state records: property definitions, groups and CRM objects (mutable, guarded by the store)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass
class OptionDef:
    """One option of an enumeration property."""

    label: str
    value: str
    display_order: int = -1
    hidden: bool = False
    description: str = ""


@dataclass
class PropertyDef:
    """A property definition of one object type, as the properties API describes it."""

    name: str
    label: str
    type: str
    field_type: str
    group_name: str
    created_at: str
    updated_at: str
    description: str = ""
    options: list[OptionDef] = field(default_factory=list)
    display_order: int = -1
    hidden: bool = False
    form_field: bool = False
    has_unique_value: bool = False
    hubspot_defined: bool = True
    calculated: bool = False
    external_options: bool = False
    read_only_value: bool = False
    read_only_definition: bool = True
    referenced_object_type: str | None = None
    calculation_formula: str | None = None
    archived: bool = False

    def option_values(self) -> list[str]:
        """Return the internal values of the options, in display order."""
        return [option.value for option in self.options]


@dataclass
class PropertyGroup:
    """A property group of one object type."""

    name: str
    label: str
    display_order: int = -1
    archived: bool = False


@dataclass(frozen=True)
class Version:
    """One value a property held, with when it was written (newest first in histories)."""

    value: str
    timestamp: str
    source_type: str = "API"


@dataclass
class CrmObject:
    """One CRM record: its stored (non-empty) property values and their histories."""

    id: str
    object_type: str
    created_at: str
    updated_at: str
    properties: dict[str, str] = field(default_factory=dict)
    history: dict[str, list[Version]] = field(default_factory=dict)
    archived: bool = False
    archived_at: str | None = None

    def apply(self, values: Mapping[str, str | None], now: str, *, touch: bool = True) -> None:
        """Store values with their history (None clears); ``touch`` bumps ``updated_at``."""
        for name, value in values.items():
            if value == self.properties.get(name) or (value is None and name not in self.properties):
                continue
            self.history.setdefault(name, []).insert(0, Version(value or "", now))
            if value is None:
                self.properties.pop(name, None)
            else:
                self.properties[name] = value
        if touch:
            self.updated_at = now
