"""The portal's checks, pure: compare what the configuration needs with what HubSpot reports.

Each function takes what the shell read (the token's scopes, property definitions, owners, pipelines, the lead
status options) and returns findings; a problem names the HubSpot object, where config/ names it and what to do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from app.rules.doctor.findings import Finding, fail, ok, warn
from app.rules.doctor.wanted import Named, StageRef
from app.rules.handover.config import LeadRules
from app.rules.handover.leads import OPEN, LeadPipeline, LeadStages, LeadStagesUnresolved, resolve_lead_stages
from app.rules.handover.types import Owner
from app.rules.properties import PropertyInfo, lead_properties, missing_options

REBUILD_APP = "add it to the app: `leadflow app build`, `hs project upload`, then accept the new scopes in the portal"
MEMBER_LISTS = ("MANUAL", "SNAPSHOT")  # the processing types of lists HubSpot adds members to
RUN_SETUP = "run `leadflow setup` (it creates what is missing and adds missing options; it never removes any)"


def scope_findings(required: Sequence[str], granted: frozenset[str]) -> list[Finding]:
    """One failure per scope the configuration needs that the token lacks; ok when it holds them all."""
    missing = [scope for scope in required if scope not in granted]
    if not missing:
        return [ok("scopes", f"the token holds all {len(required)} scopes the configuration needs")]
    return [fail("scopes", f"the token lacks the scope {scope}", REBUILD_APP) for scope in missing]


def property_findings(
    object_type: str, wanted: Sequence[PropertyInfo], present: Mapping[str, PropertyInfo]
) -> list[Finding]:
    """Check Leadflow's properties on one object type: each exists, with the type and the options it needs."""
    found = [finding for info in wanted for finding in _property_problems(object_type, info, present.get(info.name))]
    if found:
        return found
    if len(wanted) == 1:
        return [ok("properties", f"{object_type}: its Leadflow property exists as setup makes it")]
    return [ok("properties", f"{object_type}: all {len(wanted)} Leadflow properties exist as setup makes them")]


def _property_problems(object_type: str, wanted: PropertyInfo, present: PropertyInfo | None) -> list[Finding]:
    name = f"{object_type} property {wanted.name}"
    if present is None:
        return [fail("properties", f"{name} does not exist", RUN_SETUP)]
    if (present.type, present.field_type) != (wanted.type, wanted.field_type):
        what = f"{name} is {present.type}/{present.field_type}, Leadflow needs {wanted.type}/{wanted.field_type}"
        return [fail("properties", what, "delete or rename it in HubSpot, then run `leadflow setup`")]
    if wanted.has_unique_value and not present.has_unique_value:
        what = f"{name} does not have unique values (HubSpot cannot make it unique later)"
        return [fail("properties", what, "delete or rename it in HubSpot, then run `leadflow setup`")]
    return [
        fail("properties", f"{name} lacks the option {option.value!r}", RUN_SETUP)
        for option in missing_options(wanted.options, present.options)
    ]


def read_property_findings(reader: str, reads: Iterable[str], present: Mapping[str, PropertyInfo]) -> list[Finding]:
    """Warn about each `object.name` property `reader` reads that the portal does not have."""
    return [
        warn(
            "properties",
            f"{reader} reads {name}, which this portal does not have",
            f"create it in HubSpot or change {reader}; until then it reads as empty",
        )
        for name in sorted(reads)
        if name not in present
    ]


def owner_findings(named: Named, owners: Sequence[Owner]) -> list[Finding]:
    """Check that every owner email config/ names is an active owner of the portal."""
    by_email = {owner.email.casefold(): owner for owner in owners}
    found: list[Finding] = []
    for email, places in sorted(named.items()):
        owner, where = by_email.get(email), ", ".join(places)
        if owner is None:
            found.append(
                fail(
                    "owners",
                    f"{email} ({where}) is not an owner in this portal",
                    "fix the email in config/, or give that user a seat in HubSpot",
                )
            )
        elif not owner.active:
            found.append(
                fail(
                    "owners",
                    f"{email} ({where}) is a deactivated owner",
                    "remove the email from config/, or reactivate the user in HubSpot",
                )
            )
    return found or [ok("owners", f"all {len(named)} owners named in config/ are active owners")]


def team_findings(named: Named, owners: Sequence[Owner]) -> list[Finding]:
    """Warn about a team a routing pool is made of that no active owner belongs to."""
    teams = {team for owner in owners if owner.active for team in owner.teams}
    return [
        warn(
            "owners",
            f"team {team!r} ({', '.join(places)}) has no active owner",
            "check the team's name in HubSpot (Settings → Users & Teams); the pool routes to nobody",
        )
        for team, places in sorted(named.items())
        if team not in teams
    ]


def pipeline_findings(refs: Sequence[StageRef], pipelines: Mapping[str, Sequence[str]]) -> list[Finding]:
    """Check that every deal pipeline and stage handover.yaml names exists in the portal."""
    found: list[Finding] = []
    for ref in refs:
        stages = pipelines.get(ref.pipeline)
        if stages is None:
            known = ", ".join(sorted(pipelines)) or "none"
            found.append(
                fail(
                    "pipelines",
                    f"deal pipeline {ref.pipeline!r} ({ref.where}) does not exist",
                    f"use a pipeline id of this portal ({known})",
                )
            )
        elif ref.stage not in stages:
            found.append(
                fail(
                    "pipelines",
                    f"stage {ref.stage!r} ({ref.where}) is not a stage of pipeline {ref.pipeline!r}",
                    f"use one of its stage ids: {', '.join(stages)}",
                )
            )
    if found or not refs:
        return found
    return [ok("pipelines", f"all {len(refs)} pipeline stages named in handover.yaml exist")]


def lead_status_findings(named: Named, options: frozenset[str] | None) -> list[Finding]:
    """Check that every lead status handover.yaml names is an option of hs_lead_status."""
    if not named:
        return []
    if options is None:
        return [
            fail(
                "lead statuses",
                "the contact property hs_lead_status does not exist",
                "HubSpot defines it in every portal: check the token's portal",
            )
        ]
    found = [
        fail(
            "lead statuses",
            f"lead status {status!r} ({', '.join(places)}) is not an option of hs_lead_status",
            f"add the option in HubSpot or use one of: {', '.join(sorted(options))}",
        )
        for status, places in sorted(named.items())
        if status not in options
    ]
    return found or [ok("lead statuses", f"all {len(named)} lead statuses named in handover.yaml exist")]


def list_findings(kinds: Mapping[str, str | None], steps: Mapping[str, str]) -> list[Finding]:
    """Check the contact lists nurture.yaml's steps join (`steps`: step → list id; `kinds`: list id → its
    processing type, None when the portal has no such contact list): each must take members."""
    found: list[Finding] = []
    for step, list_id in sorted(steps.items()):
        where, kind = f"list {list_id} (nurture.yaml delivery.lists.{step})", kinds.get(list_id)
        if kind is None:
            found.append(fail("lists", f"{where} is not a contact list of this portal",
                              "create a MANUAL contact list in HubSpot and put its id in nurture.yaml"))  # fmt: skip
        elif kind not in MEMBER_LISTS:
            found.append(fail("lists", f"{where} is a {kind} list: HubSpot adds no members to it",
                              "make it a MANUAL list, or name a MANUAL one"))  # fmt: skip
    if found or not steps:
        return found
    return [ok("lists", f"all {len(steps)} lists nurture.yaml names take members")]


def queue_findings(named: Named) -> list[Finding]:
    """HubSpot's API offers no read of task queues: say which queue ids to check by hand."""
    return [
        warn(
            "queues",
            f"task queue {queue} ({', '.join(places)}) cannot be checked: HubSpot's API lists no queues",
            "check the id in HubSpot (Tasks → Queues); a wrong one puts tasks in no queue",
        )
        for queue, places in sorted(named.items())
    ]


SET_UP_LEADS = "name the stages as the portal's lead pipeline has them (ids or labels) in handover.yaml, then run setup"


def lead_findings(
    rules: LeadRules,
    pipelines: Sequence[LeadPipeline] | None,
    present: Mapping[str, PropertyInfo],
    recorded: LeadStages | None,
) -> list[Finding]:
    """Check handover.yaml's `leads` against the portal: Leads are there (`pipelines` None: HubSpot refused them),
    the named stages resolve, Leadflow's lead properties exist and setup recorded the pipeline as it is now."""
    if pipelines is None:
        return [warn("leads", "HubSpot refuses the Leads (the portal has none, or the token lacks their scopes): "
                     "handovers make no Lead, and the contact's lead status stays sales' answer",
                     "to use Leads, enable them in Sales Hub and run `leadflow setup`; or remove `leads` from "
                     "handover.yaml")]  # fmt: skip
    try:
        resolved = resolve_lead_stages(rules, pipelines)
    except LeadStagesUnresolved as error:
        return [fail("leads", f"handover.yaml {error}", SET_UP_LEADS)]
    found = property_findings("lead", lead_properties(), present)
    if recorded is None:
        found.append(fail("leads", "setup has not recorded the lead pipeline: handovers make no Lead yet", RUN_SETUP))
    elif (recorded.pipeline_id, dict(recorded.meanings)) != (resolved.pipeline_id, dict(resolved.meanings)):
        found.append(fail("leads", "the lead pipeline changed since setup recorded it", RUN_SETUP))
    else:
        read = ", ".join(f"{resolved.labels[s]} = {m}" for s, m in resolved.meanings.items() if m != OPEN)
        found.append(ok("leads", f"one Lead per qualification cycle in pipeline {resolved.pipeline_id} ({read})"))
    return found
