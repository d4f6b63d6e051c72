"""Read the portal as `leadflow doctor` checks it: the token's scopes, Leadflow's properties, the owners, the deal
pipelines, the lead statuses and nurture's contact lists; never a write. The judgements are
`app/rules/doctor/portal.py`'s."""

from __future__ import annotations

from collections.abc import Callable

from redis.exceptions import RedisError

from app.rules.app_project import features_of, required_scopes
from app.rules.configuration import Configuration
from app.rules.doctor import portal as judge
from app.rules.doctor import wanted
from app.rules.doctor.findings import Finding, fail, ok
from app.rules.handover.leads import NO_LEADS_STATUSES, LeadPipeline, LeadStages
from app.rules.nurture import reads_of
from app.rules.properties import PropertyInfo
from app.sync.hubspot.errors import HubSpotError, PermanentHubSpotError
from app.sync.hubspot.gateway import DoctorGateway, HubSpotGateway

LEAD_STATUS = "hs_lead_status"
Check = Callable[[], list[Finding]]


def portal_findings(
    gateway: DoctorGateway, config: Configuration, recorded_leads: Callable[[], LeadStages | None] = lambda: None
) -> list[Finding]:
    """Check the token first: a token HubSpot refuses (or no Redis, which holds the HubSpot budget) would fail every
    other read the same way, so they are skipped; when only the introspection fails, the other reads still run."""
    try:
        found = _token_findings(gateway.token_scopes(), config)
    except HubSpotError as exc:
        if exc.status == 401:
            return [_token_failure(exc)]
        found = [_token_failure(exc)]
    except RedisError:
        return [fail("token", "not checked: every HubSpot call takes a slot of the shared budget in Redis",
                     "start Redis (or fix REDIS_URL), then run doctor again")]  # fmt: skip
    for name, check in _checks(gateway, config, recorded_leads):
        found += _guarded(name, check)
    return found


def _token_findings(granted: frozenset[str], config: Configuration) -> list[Finding]:
    required = required_scopes(features_of(config))
    return [ok("token", "the access token works"), *judge.scope_findings(required, granted)]


def _checks(
    gateway: DoctorGateway, config: Configuration, recorded_leads: Callable[[], LeadStages | None]
) -> list[tuple[str, Check]]:
    return [
        ("leads", lambda: _lead_findings(gateway, config, recorded_leads)),
        ("properties", lambda: _property_findings(gateway, config)),
        ("owners", lambda: _owner_findings(gateway, config)),
        ("pipelines", lambda: _pipeline_findings(gateway, config)),
        ("lead statuses", lambda: _lead_status_findings(gateway, config)),
        ("lists", lambda: _list_findings(gateway, config)),
        ("queues", lambda: judge.queue_findings(wanted.named_queues(config.handover))),
    ]


def _property_findings(gateway: HubSpotGateway, config: Configuration) -> list[Finding]:
    found: list[Finding] = []
    known: dict[str, PropertyInfo] = {}
    for object_type, properties in wanted.wanted_properties(config).items():
        present = {info.name: info for info in gateway.properties(object_type)}
        known.update({f"{object_type}.{name}": info for name, info in present.items()})
        found += judge.property_findings(object_type, properties, present)
    known.update({f"company.{info.name}": info for info in gateway.properties("company")})
    readers = [("scoring.yaml", config.model.referenced_properties())]
    if config.nurture is not None:
        readers.append(("nurture.yaml", reads_of(config.nurture)))
    for reader, (contact, company) in readers:
        names = [f"contact.{name}" for name in contact] + [f"company.{name}" for name in company]
        found += judge.read_property_findings(reader, names, known)
    return found


def _lead_findings(
    gateway: HubSpotGateway, config: Configuration, recorded: Callable[[], LeadStages | None]
) -> list[Finding]:
    rules = config.handover.leads if config.handover is not None else None
    if rules is None:
        return []
    try:
        pipelines: list[LeadPipeline] | None = gateway.lead_pipelines()
    except PermanentHubSpotError as error:
        if error.status not in NO_LEADS_STATUSES:
            raise
        pipelines = None
    present = {info.name: info for info in gateway.properties("lead")} if pipelines is not None else {}
    return judge.lead_findings(rules, pipelines, present, recorded())


def _owner_findings(gateway: HubSpotGateway, config: Configuration) -> list[Finding]:
    named = wanted.named_owners(config)
    if not named:
        return []
    owners = gateway.owners()
    return judge.owner_findings(named, owners) + judge.team_findings(wanted.named_teams(config.routing), owners)


def _pipeline_findings(gateway: DoctorGateway, config: Configuration) -> list[Finding]:
    refs = wanted.named_stages(config.handover)
    if not refs:
        return []
    pipelines = {pipeline.id: pipeline.stage_ids for pipeline in gateway.deal_pipelines()}
    return judge.pipeline_findings(refs, pipelines)


def _lead_status_findings(gateway: HubSpotGateway, config: Configuration) -> list[Finding]:
    named = wanted.named_lead_statuses(config.handover)
    if not named:
        return []
    status = next((info for info in gateway.properties("contact") if info.name == LEAD_STATUS), None)
    options = frozenset(option.value for option in status.options) if status is not None else None
    return judge.lead_status_findings(named, options)


def _list_findings(gateway: HubSpotGateway, config: Configuration) -> list[Finding]:
    steps = config.nurture.delivery.lists if config.nurture is not None else {}
    kinds = {list_id: gateway.list_processing_type(list_id) for list_id in sorted(set(steps.values()))}
    return judge.list_findings(kinds, steps)


def _guarded(name: str, check: Check) -> list[Finding]:
    """Run a check; a HubSpot error is its failure (the other checks still run)."""
    try:
        return check()
    except RedisError as exc:
        return [fail(name, f"not checked: Redis, which holds the HubSpot budget, failed ({type(exc).__name__})",
                     "check Redis, then run doctor again")]  # fmt: skip
    except HubSpotError as exc:
        return [
            fail(
                name,
                f"HubSpot refused the read ({exc.status or 'no answer'}): {exc}"[:300],
                "see the message; HubSpot's status page if it persists",
            )
        ]


def _token_failure(exc: HubSpotError) -> Finding:
    if exc.status == 401:
        return fail(
            "token",
            "HubSpot refuses the access token (401)",
            "set HUBSPOT_ACCESS_TOKEN to the app's current token (its Auth page)",
        )
    return fail(
        "token",
        f"the token's scopes could not be read ({exc.status or 'no answer'}): {exc}"[:300],
        "check HUBSPOT_API_BASE and the network; a token that is not a private app's has no introspection",
    )
