"""The composition root: the one place that builds Leadflow's concrete adapters and wires them together."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TypeVar

from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from rq import Queue
from rq.serializers import JSONSerializer

from app.ledger.database import create_ledger_engine, migrate
from app.ledger.store import Ledger
from app.observability.metrics import Metrics
from app.observability.recorders import HubSpotCallRecorder
from app.rules import HandoverConfig, RoutingConfig, ScoringModel, SignalRules, load_configuration
from app.rules.config import read_config_text
from app.rules.configuration import Configuration
from app.rules.handover.config import FeedbackRules
from app.rules.kpis.backfill import Answers
from app.rules.nurture import NurtureConfig
from app.rules.sla.policy import FirstTouch, SlaConfig
from app.settings import Settings
from app.sync.calibration.backtest import BacktestContext
from app.sync.calibration.suggest import SuggestContext
from app.sync.doctor import DoctorContext
from app.sync.drain import DrainContext
from app.sync.handover.notify import Notifier, NullNotifier, WebhookNotifier
from app.sync.handover.orphans import CloseWorkContext
from app.sync.handover.step import Handovers, HandoverStep
from app.sync.handover.team import TeamCache, team_key
from app.sync.holders import RqHolders
from app.sync.hubspot.company_cache import CompanyCache
from app.sync.hubspot.gateway import DoctorGateway, HubSpotGateway
from app.sync.hubspot.ratelimit import HubSpotBudget
from app.sync.hubspot.sdk import SdkGateway
from app.sync.jobs import JobQueue
from app.sync.kpis.backfill import BackfillContext
from app.sync.nurture.due import NurtureDueContext
from app.sync.nurture.explain import NurtureExplainContext
from app.sync.nurture.step import NurtureStep
from app.sync.pipeline import DrainStep, Pipeline
from app.sync.reconcile import ReconcileContext
from app.sync.rescore import RescoreContext, RescoreRuns
from app.sync.resolve import ResolveContext
from app.sync.retention import RetentionContext
from app.sync.scoring.recall import RecallStep
from app.sync.scoring.step import ScoringStep
from app.sync.scoring.sweep import SweepContext
from app.sync.setup import SetupReport, run_setup
from app.sync.sla.clock import clock_starter
from app.sync.sla.reconcile import TouchReconcileContext
from app.sync.sla.watch import SlaWatchContext
from app.webhooks.intake import WebhookIntake
from app.webhooks.translate import DEFAULT_DEAL_OUTCOMES, TranslationContext
from app.worklist import Worklist

Clock = Callable[[], datetime]
T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    """Leadflow's adapters for one process; the HubSpot gateway is built on first use (after a fork)."""

    settings: Settings
    ledger: Ledger
    redis: Redis
    queue: Queue
    jobs: JobQueue
    worklist: Worklist
    model: ScoringModel
    signal_rules: SignalRules
    handover_config: HandoverConfig | None
    routing_config: RoutingConfig | None
    gateway_factory: Callable[[], HubSpotGateway]
    clock: Clock = utc_now
    sla_config: SlaConfig | None = None
    nurture_config: NurtureConfig | None = None  # None: Leadflow does not nurture (no config/nurture.yaml)
    sleep: Callable[[float], None] = time.sleep
    _gateway: HubSpotGateway | None = field(default=None, repr=False)
    _team: TeamCache | None = field(default=None, repr=False)
    _pid: int = field(default_factory=os.getpid, repr=False)

    def close(self) -> None:
        """Release the database connections and the Redis connection."""
        self.ledger.engine.dispose()
        self.redis.close()

    def gateway(self) -> HubSpotGateway:
        """Return this process's HubSpot gateway, building it on first use."""
        self._after_fork()
        if self._gateway is None:
            self._gateway = self.gateway_factory()
        return self._gateway

    def _after_fork(self) -> None:
        if self._pid != os.getpid():
            self.ledger.engine.dispose(close=False)  # never share the parent's database connections
            self._gateway = None
            self._pid = os.getpid()

    def provide(self, kind: type[T]) -> T:
        """Return the context of type `kind` a job or a command needs, built from this container's adapters."""
        build = PROVIDERS.get(kind)
        if build is None:
            raise LookupError(f"the composition root builds no {kind.__name__}")
        built = build(self)
        assert isinstance(built, kind)
        return built

    def pipeline(self) -> Pipeline:
        """Return the drain's pipeline: recall, scoring, then handover when config/handover.yaml exists and nurture
        when config/nurture.yaml does (after the handover, which tells it whom sales has)."""
        gateway, cache = self.gateway(), self.company_cache
        steps: list[Callable[[], DrainStep]] = [
            partial(RecallStep, self.signal_rules, self.ledger, gateway),
            partial(ScoringStep, self.model, self.ledger),
        ]
        handovers = self.handovers
        if handovers is not None:
            steps.append(partial(HandoverStep, handovers, self.ledger, gateway, cache))
        if self.nurture_config is not None:
            qualified = frozenset(self.model.qualified_stages)
            team = handovers.team if handovers is not None else None
            steps.append(partial(NurtureStep, self.nurture_config, qualified, self.ledger, gateway, team))
        return Pipeline(
            self.ledger,
            gateway,
            tuple(steps),
            self.clock,
            company_cache=cache,
            recheck_later=self.worklist.recheck_later,
            recheck_after_seconds=self.settings.hubspot_recheck_seconds,
        )

    def setup_portal(self) -> SetupReport:
        """Run `leadflow setup` with this container's model and configuration (handover, nurture) on its portal."""
        return run_setup(self.gateway(), self.ledger, self.model, self.clock, self.handover_config, self.nurture_config)

    def rescore_runs(self) -> RescoreRuns:
        return RescoreRuns(self.redis, self.settings.redis_prefix)

    @property
    def handovers(self) -> Handovers | None:
        """Return what handovers need, or None when config/handover.yaml does not exist."""
        if self.handover_config is None or self.routing_config is None:
            return None
        if self._team is None:
            self._team = TeamCache(self.gateway, shared=(self.redis, team_key(self.settings.redis_prefix)))
        starter = clock_starter(self.sla_config) if self.sla_config else None
        return Handovers(
            self.handover_config, self.routing_config, self._notifier(), self._team, self._contact_url, starter
        )

    @property
    def sla(self) -> SlaConfig | None:
        """Return config/sla.yaml's SLAs when handovers are configured too."""
        return self.sla_config if self.handovers is not None else None

    def _notifier(self) -> Notifier:
        url = self.settings.handover_webhook_url
        return WebhookNotifier(url.get_secret_value(), timeout=5.0) if url else NullNotifier()

    def _contact_url(self, contact_id: str) -> str | None:
        portal = self.settings.hubspot_portal_id
        base = str(self.settings.hubspot_app_base).rstrip("/")
        return f"{base}/contacts/{portal}/record/0-1/{contact_id}" if portal else None

    @property
    def company_cache(self) -> CompanyCache | None:
        """Return the company cache, or None when COMPANY_CACHE_SECONDS is 0."""
        seconds = self.settings.company_cache_seconds
        return CompanyCache(self.redis, self.settings.redis_prefix, seconds) if seconds else None

    @property
    def first_touch(self) -> FirstTouch | None:
        """Return what counts as a first touch (sla.yaml), or None without an SLA."""
        return self.sla_config.first_touch if self.sla_config is not None else None

    def webhook_intake(self) -> WebhookIntake:
        context = TranslationContext(
            app_id=self.settings.hubspot_app_id, rules=self.signal_rules, first_touch=self.first_touch
        )
        return WebhookIntake(self.ledger, self.worklist, context, self.clock)


def drain_context(container: Container) -> DrainContext:
    settings = container.settings
    return DrainContext(
        container.pipeline(),
        container.worklist,
        container.clock,
        batch_size=settings.drain_batch_size,
        debounce_seconds=settings.drain_debounce_seconds,
        claim_lease_seconds=settings.drain_claim_lease_seconds,
        sleep=container.sleep,
    )


def rescore_context(container: Container) -> RescoreContext:
    return RescoreContext(drain_context(container), container.rescore_runs(), container.jobs.enqueue)


def resolve_context(container: Container) -> ResolveContext:
    return ResolveContext(
        container.ledger,
        container.gateway(),
        container.worklist,
        container.signal_rules,
        container.clock,
        company_cache=container.company_cache,
        first_touch=container.first_touch,
    )


def reconcile_context(container: Container) -> ReconcileContext:
    grace = timedelta(seconds=container.settings.reconcile_grace_seconds)
    holders = RqHolders(container.redis)
    return ReconcileContext(container.ledger, container.worklist, container.clock, grace, holders.dead)


def retention_context(container: Container) -> RetentionContext:
    settings = container.settings
    return RetentionContext(
        container.ledger, container.clock, settings.signal_retention_days, settings.deleted_contact_retention_days
    )


def backfill_context(container: Container) -> BackfillContext:
    config = container.handover_config
    feedback = config.feedback if config is not None else FeedbackRules()  # no handover.yaml: no answers known
    answers = Answers(feedback.accepted, frozenset(feedback.rejected), DEFAULT_DEAL_OUTCOMES)
    return BackfillContext(container.ledger, container.gateway(), answers, container.clock)


def close_work_context(container: Container) -> CloseWorkContext:
    return CloseWorkContext(container.ledger, container.gateway)


def sweep_context(container: Container) -> SweepContext:
    return SweepContext(container.ledger, container.worklist, container.clock)


def nurture_due_context(container: Container) -> NurtureDueContext:
    nurturing = container.nurture_config is not None
    return NurtureDueContext(container.ledger, container.worklist, container.clock, nurturing)


def nurture_explain_context(container: Container) -> NurtureExplainContext:
    if container.nurture_config is None:
        raise LookupError("no nurture: config/nurture.yaml does not exist")
    return NurtureExplainContext(container.ledger, container.gateway, container.nurture_config, container.clock)


def sla_watch_context(container: Container) -> SlaWatchContext:
    return SlaWatchContext(
        container.ledger,
        container.gateway,
        container.handovers,
        container.sla,
        container.clock,
        recheck_after=timedelta(seconds=container.settings.hubspot_recheck_seconds),
    )


def touch_reconcile_context(container: Container) -> TouchReconcileContext:
    handovers = container.handovers
    return TouchReconcileContext(
        container.ledger,
        container.gateway(),
        container.worklist,
        container.clock,
        container.first_touch,
        handovers.team if handovers is not None else dict,
    )


def backtest_context(container: Container) -> BacktestContext:
    return BacktestContext(
        container.ledger, container.gateway, container.model, container.handover_config, container.routing_config
    )


def suggest_context(container: Container) -> SuggestContext:
    """The suggestions' adapters and the running scoring.yaml's text (the file the suggestion is a diff of)."""
    path = container.settings.leadflow_config / "scoring.yaml"
    return SuggestContext(backtest_context(container), read_config_text(path), str(path))


def doctor_context(container: Container) -> DoctorContext:
    """What `leadflow doctor` reads with: the loaded configuration, the gateway, Redis, the ledger, PUBLIC_URL."""
    settings = container.settings
    secret = settings.hubspot_client_secret
    configuration = Configuration(
        container.model,
        container.signal_rules,
        container.handover_config,
        container.routing_config,
        container.sla_config,
        container.nurture_config,
    )
    return DoctorContext(
        configuration,
        lambda: _doctor_gateway(container.gateway()),
        container.redis,
        container.ledger.engine,
        settings.queue_name,
        str(settings.public_url) if settings.public_url is not None else None,
        secret.get_secret_value() if secret is not None else None,
        container.clock,
    )


def _doctor_gateway(gateway: HubSpotGateway) -> DoctorGateway:
    if not isinstance(gateway, DoctorGateway):
        raise LookupError(f"{type(gateway).__name__} cannot read the token's scopes or the deal pipelines")
    return gateway


# What each job (app/sync/jobs.py) or command may ask the container for.
PROVIDERS: dict[type, Callable[[Container], object]] = {
    DrainContext: drain_context,
    RescoreContext: rescore_context,
    ResolveContext: resolve_context,
    ReconcileContext: reconcile_context,
    RetentionContext: retention_context,
    CloseWorkContext: close_work_context,
    BackfillContext: backfill_context,
    SweepContext: sweep_context,
    NurtureDueContext: nurture_due_context,
    NurtureExplainContext: nurture_explain_context,
    SlaWatchContext: sla_watch_context,
    TouchReconcileContext: touch_reconcile_context,
    SuggestContext: suggest_context,
    DoctorContext: doctor_context,
}


def connect_redis(url: str) -> Redis:
    """Connect to Redis with short timeouts and one quick retry, so an outage costs milliseconds, not seconds.

    The webhook receiver must answer HubSpot within five seconds even when Redis is gone (the ledger holds
    the signals); redis-py's default retry policy would spend several seconds on every command.
    """
    return Redis.from_url(
        url,
        socket_connect_timeout=0.5,
        socket_timeout=5.0,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=0.1, base=0.02), retries=1),
    )


def sdk_gateway_factory(settings: Settings, redis: Redis) -> Callable[[], HubSpotGateway]:
    """Return how to build this process's SDK gateway: the shared budget in Redis, every call counted."""
    timeout = (settings.hubspot_connect_timeout, settings.hubspot_read_timeout)

    def build() -> HubSpotGateway:
        budget = HubSpotBudget(
            redis,
            settings.redis_prefix,
            per_ten_seconds=settings.hubspot_rate_limit,
            search_per_second=settings.hubspot_search_rate_limit,
            timezone=settings.hubspot_timezone,
            margin=settings.hubspot_rate_limit_margin,
        )
        observer = HubSpotCallRecorder(Metrics(redis, settings.redis_prefix))
        return SdkGateway(settings.access_token(), settings.api_base, timeout, budget=budget, observer=observer)

    return build


def build_container(
    settings: Settings,
    *,
    redis: Redis | None = None,
    gateway_factory: Callable[[], HubSpotGateway] | None = None,
    clock: Clock = utc_now,
    migrate_ledger: bool = True,
) -> Container:
    """Build every adapter from `settings`, migrating the ledger to the newest schema unless `migrate_ledger` is
    False (`leadflow doctor` reads an installation as it is)."""
    config = load_configuration(settings.leadflow_config)
    engine = create_ledger_engine(settings.database_url)
    if migrate_ledger:
        migrate(engine)
    redis = redis or connect_redis(settings.redis_url)
    queue = Queue(settings.queue_name, connection=redis, serializer=JSONSerializer)
    jobs = JobQueue(queue)
    return Container(
        settings=settings,
        ledger=Ledger(engine),
        redis=redis,
        queue=queue,
        jobs=jobs,
        worklist=Worklist(redis, jobs.enqueue, settings.redis_prefix, jobs.enqueue_at),
        model=config.model,
        signal_rules=config.signals,
        handover_config=config.handover,
        routing_config=config.routing,
        gateway_factory=gateway_factory or sdk_gateway_factory(settings, redis),
        clock=clock,
        sla_config=config.sla,
        nurture_config=config.nurture,
    )
