"""`leadflow setup`: create Leadflow's property groups and properties in the portal, idempotently.

Running it twice changes nothing; a changed model adds its new stage and grade options (options are never
removed: contacts may still hold them). It also records HubSpot's types of the properties the model reads,
so the drain converts their values without asking HubSpot again, and warns about properties the portal lacks.

For the handover it adds the contact properties `leadflow_routing_reason` and `leadflow_handover_blocked`, and
on deals and tasks a "Leadflow" group holding `leadflow_handover_id`, a unique-value property the shell upserts
them by. HubSpot never lets a property become unique later, so an existing non-unique one is a conflict. When
handover.yaml lists rejection reasons (`feedback.reasons`), it adds the enumeration `leadflow_reject_reason` with
them as options (new reasons are added, none removed) and the flag `leadflow_feedback_missing`.

With handover.yaml's `leads` it looks for HubSpot's Leads: a portal without them (its lead pipelines answer 403 or
404) keeps the contact-only flow, and setup says so. Where they are, it resolves `leads.stages` against the lead
pipeline (a stage it cannot find fails setup, naming what the pipeline has), gives leads the "Leadflow" group with
the unique `leadflow_cycle_id` and the score, grade, stage, reasons, model and SLA due properties, and records the
pipeline's stages in the ledger: from then on the drain makes one Lead per qualification cycle.

With nurture.yaml it adds `leadflow_nurture_track` and `leadflow_nurture_step` (one option per track and per
content id; new ones are added, none removed) and `leadflow_nurture_step_at`, and records them as present: the
drain offers nurture steps only once setup has made them (a write naming a missing property fails in HubSpot).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from app.ledger.store import Ledger
from app.rules.handover.config import HandoverConfig
from app.rules.handover.leads import NO_LEADS_STATUSES, OPEN, LeadStages, LeadStagesUnresolved, resolve_lead_stages
from app.rules.nurture import NurtureConfig, reads_of
from app.rules.properties import (
    GROUP_LABEL,
    GROUP_NAME,
    HANDOVER_GROUP_LABEL,
    HANDOVER_OBJECT_TYPES,
    PropertyInfo,
    feedback_properties,
    handover_contact_properties,
    handover_id_property,
    lead_properties,
    missing_options,
    nurture_contact_properties,
    score_properties,
    sla_contact_properties,
)
from app.rules.scoring.model import ScoringModel
from app.sync.hubspot.errors import PermanentHubSpotError
from app.sync.hubspot.gateway import HubSpotGateway

MEMBER_LISTS = ("MANUAL", "SNAPSHOT")  # the processing types of lists HubSpot adds members to


class SetupConflict(Exception):
    """A property Leadflow needs exists in the portal with an incompatible definition."""


@dataclass
class SetupReport:
    """What setup did. The score properties (contacts) by name; the handover's as `object.property`."""

    group_created: bool = False
    created: list[str] = field(default_factory=list)
    options_added: dict[str, list[str]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    property_types: dict[str, str] = field(default_factory=dict)
    handover_groups_created: list[str] = field(default_factory=list)
    handover_created: list[str] = field(default_factory=list)
    handover_unchanged: list[str] = field(default_factory=list)
    leads: str = "off: handover.yaml has no `leads`"

    @property
    def changed(self) -> bool:
        return self.group_created or bool(
            self.created or self.options_added or self.handover_groups_created or self.handover_created
        )

    def handover_lines(self) -> list[str]:
        """Return one line per handover group or property: created, or already there."""
        return [
            *(f"created   group {name}" for name in self.handover_groups_created),
            *(f"created   {name}" for name in self.handover_created),
            *(f"unchanged {name}" for name in self.handover_unchanged),
        ]


def run_setup(
    gateway: HubSpotGateway,
    ledger: Ledger,
    model: ScoringModel,
    clock: Callable[[], datetime],
    handover: HandoverConfig | None = None,
    nurture: NurtureConfig | None = None,
) -> SetupReport:
    """Create or complete the property group and the score properties (and the feedback properties `handover`
    asks for, the nurture properties `nurture` needs); record the property types the model and nurture read."""
    report = SetupReport()
    if not gateway.property_group_exists("contact", GROUP_NAME):
        gateway.create_property_group("contact", GROUP_NAME, GROUP_LABEL)
        report.group_created = True
    existing = {prop.name: prop for prop in gateway.properties("contact")}
    stages = [(stage.id, stage.label) for stage in model.stages]
    for wanted in score_properties(stages, model.grade_labels):
        _ensure_property(gateway, wanted, existing.get(wanted.name), report)
    for wanted in handover_contact_properties():
        _ensure_handover_property(gateway, "contact", wanted, existing.get(wanted.name), report)
    reasons = list(handover.feedback.reasons.items()) if handover is not None else []
    for wanted in (*sla_contact_properties(), *(feedback_properties(reasons) if reasons else ())):
        _ensure_property(gateway, wanted, existing.get(wanted.name), report)
    nurtured = nurture_contact_properties(*_nurture_options(nurture)) if nurture is not None else ()
    options: dict[str, set[str]] = {}
    for wanted in nurtured:
        _ensure_property(gateway, wanted, existing.get(wanted.name), report)
        present = existing.get(wanted.name)
        held = {option.value for option in (*wanted.options, *(present.options if present else ()))}
        options[f"contact.{wanted.name}"] = held  # what HubSpot holds now: the drain offers only these values
    if nurture is not None:
        report.warnings += _delivery_warnings(gateway, nurture, handover)
    _ensure_handover_ids(gateway, report)
    ledger.leads.save_stages(_setup_leads(gateway, handover, report), clock())
    company_props = {prop.name: prop for prop in gateway.properties("company")}
    known = {"contact": existing, "company": company_props}
    report.property_types = _property_types("the model", model.referenced_properties(), known, report.warnings)
    if nurture is not None:
        report.property_types.update(_property_types("nurture.yaml", reads_of(nurture), known, report.warnings))
    report.property_types.update({f"contact.{p.name}": value_type(p) for p in nurtured})  # made above
    ledger.contacts.save_property_types(report.property_types, clock(), options)
    return report


def _setup_leads(gateway: HubSpotGateway, handover: HandoverConfig | None, report: SetupReport) -> LeadStages | None:
    """Find the portal's Leads and make Leadflow's lead properties; return the resolved pipeline (None: no Leads)."""
    if handover is None or handover.leads is None:
        return None
    try:
        pipelines = gateway.lead_pipelines()
    except PermanentHubSpotError as error:
        if error.status not in NO_LEADS_STATUSES:
            raise
        report.leads = f"not in this portal (HubSpot answered {error.status}): handovers make no Lead"
        return None
    try:
        stages = resolve_lead_stages(handover.leads, pipelines)
    except LeadStagesUnresolved as error:
        raise SetupConflict(f"handover.yaml {error}") from None
    wanted = lead_properties()
    if not gateway.property_group_exists("lead", GROUP_NAME):
        gateway.create_property_group("lead", GROUP_NAME, HANDOVER_GROUP_LABEL)
        report.handover_groups_created.append(f"lead.{GROUP_NAME}")
    present = {prop.name: prop for prop in gateway.properties("lead")}
    for definition in wanted:
        _ensure_handover_property(gateway, "lead", definition, present.get(definition.name), report)
    read = ", ".join(
        f"{meaning} {stages.labels[stage]}" for stage, meaning in stages.meanings.items() if meaning != OPEN
    )
    report.leads = f"on: one Lead per cycle in pipeline {stages.pipeline_id} ({read})"
    return stages


def _ensure_property(
    gateway: HubSpotGateway, wanted: PropertyInfo, present: PropertyInfo | None, report: SetupReport
) -> None:
    if present is None:
        gateway.create_property("contact", wanted)
        report.created.append(wanted.name)
        return
    _check_compatible("contact", wanted, present)
    added = missing_options(wanted.options, present.options)
    if added:
        gateway.update_property_options("contact", wanted.name, [*present.options, *added])
        report.options_added[wanted.name] = [option.value for option in added]
    else:
        report.unchanged.append(wanted.name)


def _ensure_handover_ids(gateway: HubSpotGateway, report: SetupReport) -> None:
    """Give deals and tasks Leadflow's group and the unique `leadflow_handover_id`."""
    wanted = handover_id_property()
    for object_type in HANDOVER_OBJECT_TYPES:
        if not gateway.property_group_exists(object_type, wanted.group_name):
            gateway.create_property_group(object_type, wanted.group_name, HANDOVER_GROUP_LABEL)
            report.handover_groups_created.append(f"{object_type}.{wanted.group_name}")
        present = next((p for p in gateway.properties(object_type) if p.name == wanted.name), None)
        _ensure_handover_property(gateway, object_type, wanted, present, report)


def _ensure_handover_property(
    gateway: HubSpotGateway, object_type: str, wanted: PropertyInfo, present: PropertyInfo | None, report: SetupReport
) -> None:
    qualified = f"{object_type}.{wanted.name}"
    if present is None:
        gateway.create_property(object_type, wanted)
        report.handover_created.append(qualified)
        return
    _check_compatible(object_type, wanted, present)
    report.handover_unchanged.append(qualified)


def _check_compatible(object_type: str, wanted: PropertyInfo, present: PropertyInfo) -> None:
    if (present.type, present.field_type) != (wanted.type, wanted.field_type):
        raise SetupConflict(
            f"{object_type} property {wanted.name} exists as {present.type}/{present.field_type}, "
            f"Leadflow needs {wanted.type}/{wanted.field_type}: delete or rename it in HubSpot, then run setup again"
        )
    if wanted.has_unique_value and not present.has_unique_value:
        raise SetupConflict(
            f"{object_type} property {wanted.name} exists without unique values, and HubSpot cannot make it "
            f"unique later (hasUniqueValue); Leadflow upserts {object_type}s by it, so a retry could create a "
            "second one: delete or rename it in HubSpot, then run setup again"
        )


def value_type(info: PropertyInfo) -> str:
    """Return how the model reads a HubSpot property: multiple checkboxes are a set, the rest by their type."""
    return "set" if info.field_type == "checkbox" else info.type


def _delivery_warnings(gateway: HubSpotGateway, nurture: NurtureConfig, handover: HandoverConfig | None) -> list[str]:
    """Check what nurture.yaml's delivery adapters name in the portal: each step's list must be a contact list that
    takes members (MANUAL or SNAPSHOT); a sequence needs handovers to enroll anyone."""
    warnings = []
    for step, list_id in nurture.delivery.lists.items():
        kind = gateway.list_processing_type(list_id)
        where = f"nurture.yaml delivery.lists: step {step!r} names list {list_id}"
        if kind is None:
            warnings.append(f"{where}, which this portal does not have as a contact list: its offers join no list")
        elif kind not in MEMBER_LISTS:
            warnings.append(f"{where}, a {kind} list: HubSpot adds no members to it (make it MANUAL)")
    if nurture.delivery.sequence_id is not None and handover is None:
        warnings.append(
            "nurture.yaml delivery.sequence: without handover.yaml nobody is handed over, so nobody is enrolled"
        )
    return warnings


def _nurture_options(nurture: NurtureConfig) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Return the (id, label) options of the nurture track and step properties, in config order."""
    tracks = [(track.id, track.label) for track in nurture.tracks]
    steps = [(step.id, step.label) for track in nurture.tracks for step in track.steps]
    return tracks, steps


def _property_types(
    reader: str,
    reads: tuple[frozenset[str], frozenset[str]],
    known: Mapping[str, Mapping[str, PropertyInfo]],
    warnings: list[str],
) -> dict[str, str]:
    """Return HubSpot's types of the (contact, company) properties `reader` reads, as `object.name`; warn about
    those the portal lacks."""
    types: dict[str, str] = {}
    for prefix, names in zip(("contact", "company"), reads, strict=True):
        for name in sorted(names):
            if name in known[prefix]:
                types[f"{prefix}.{name}"] = value_type(known[prefix][name])
            else:
                warnings.append(f"{reader} reads {prefix}.{name}, which this portal does not have")
    return types
