"""`leadflow setup`: create Leadflow's property group and score properties in the portal, idempotently.

Running it twice changes nothing; a changed model adds its new stage and grade options (options are never
removed: contacts may still hold them). It also records HubSpot's types of the properties the model reads,
so the drain converts their values without asking HubSpot again, and warns about properties the portal lacks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from app.ledger.store import Ledger
from app.rules.model import ScoringModel
from app.rules.properties import GROUP_LABEL, GROUP_NAME, PropertyInfo, missing_options, score_properties
from app.sync.gateway import HubSpotGateway


class SetupConflict(Exception):
    """A property Leadflow needs exists in the portal with an incompatible definition."""


@dataclass
class SetupReport:
    group_created: bool = False
    created: list[str] = field(default_factory=list)
    options_added: dict[str, list[str]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    property_types: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.group_created or bool(self.created or self.options_added)


def run_setup(
    gateway: HubSpotGateway, ledger: Ledger, model: ScoringModel, clock: Callable[[], datetime]
) -> SetupReport:
    """Create or complete the property group and the score properties; record the model's property types."""
    report = SetupReport()
    if not gateway.property_group_exists("contact", GROUP_NAME):
        gateway.create_property_group("contact", GROUP_NAME, GROUP_LABEL)
        report.group_created = True
    existing = {prop.name: prop for prop in gateway.properties("contact")}
    stages = [(stage.id, stage.label) for stage in model.stages]
    for wanted in score_properties(stages, model.grade_labels):
        _ensure_property(gateway, wanted, existing.get(wanted.name), report)
    company_props = {prop.name: prop for prop in gateway.properties("company")}
    report.property_types = _model_property_types(model, existing, company_props, report.warnings)
    ledger.save_property_types(report.property_types, clock())
    return report


def _ensure_property(
    gateway: HubSpotGateway, wanted: PropertyInfo, present: PropertyInfo | None, report: SetupReport
) -> None:
    if present is None:
        gateway.create_property("contact", wanted)
        report.created.append(wanted.name)
        return
    if (present.type, present.field_type) != (wanted.type, wanted.field_type):
        raise SetupConflict(
            f"contact property {wanted.name} exists as {present.type}/{present.field_type}, "
            f"Leadflow needs {wanted.type}/{wanted.field_type}: delete or rename it in HubSpot, then run setup again"
        )
    added = missing_options(wanted.options, present.options)
    if added:
        gateway.update_property_options("contact", wanted.name, [*present.options, *added])
        report.options_added[wanted.name] = [option.value for option in added]
    else:
        report.unchanged.append(wanted.name)


def _model_property_types(
    model: ScoringModel,
    contact_props: Mapping[str, PropertyInfo],
    company_props: Mapping[str, PropertyInfo],
    warnings: list[str],
) -> dict[str, str]:
    contact_names, company_names = model.referenced_properties()
    types: dict[str, str] = {}
    for prefix, names, known in (
        ("contact", contact_names, contact_props),
        ("company", company_names, company_props),
    ):
        for name in sorted(names):
            if name in known:
                types[f"{prefix}.{name}"] = known[name].type
            else:
                warnings.append(f"the model reads {prefix}.{name}, which this portal does not have")
    return types
