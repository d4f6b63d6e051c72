"""The composition root: the one place that builds Leadflow's concrete adapters and wires them together."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from rq import Queue
from rq.serializers import JSONSerializer

from app.ledger.database import create_ledger_engine, migrate
from app.ledger.store import Ledger
from app.observability.metrics import Metrics
from app.observability.recorders import HubSpotCallRecorder
from app.rules import (
    HandoverConfig,
    RoutingConfig,
    ScoringModel,
    SignalRules,
    load_handover,
    load_routing,
    load_rules,
)
from app.settings import Settings, load_settings
from app.sync.company_cache import CompanyCache
from app.sync.drain import DrainContext
from app.sync.gateway import HubSpotGateway
from app.sync.handover import Handovers
from app.sync.hubspot_sdk import SdkGateway
from app.sync.notify import Notifier, NullNotifier, WebhookNotifier
from app.sync.ratelimit import HubSpotBudget
from app.sync.rescore import RescoreContext, RescoreRuns
from app.sync.resolve import ResolveContext
from app.sync.team import TeamCache
from app.webhooks.intake import WebhookIntake
from app.webhooks.translate import TranslationContext
from app.worklist import Worklist

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    """Leadflow's adapters for one process; the HubSpot gateway is built on first use (after a fork)."""

    settings: Settings
    ledger: Ledger
    redis: Redis
    queue: Queue
    worklist: Worklist
    model: ScoringModel
    signal_rules: SignalRules
    handover_config: HandoverConfig | None
    routing_config: RoutingConfig | None
    gateway_factory: Callable[[], HubSpotGateway]
    clock: Clock = utc_now
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

    def drain_context(self) -> DrainContext:
        return DrainContext(
            handovers=self.handovers,
            ledger=self.ledger,
            gateway=self.gateway(),
            worklist=self.worklist,
            model=self.model,
            clock=self.clock,
            batch_size=self.settings.drain_batch_size,
            debounce_seconds=self.settings.drain_debounce_seconds,
            claim_lease_seconds=self.settings.drain_claim_lease_seconds,
            recheck_after_seconds=self.settings.hubspot_recheck_seconds,
            sleep=self.sleep,
            company_cache=self.company_cache,
        )

    def rescore_context(self) -> RescoreContext:
        from app.jobs import enqueue_job  # the jobs module reaches back here for the current container

        def enqueue(job: str, run_id: str, after: str | None) -> None:
            enqueue_job(self.queue, job, run_id, after)

        return RescoreContext(self.drain_context(), self.rescore_runs(), enqueue)

    def rescore_runs(self) -> RescoreRuns:
        return RescoreRuns(self.redis, self.settings.redis_prefix)

    @property
    def handovers(self) -> Handovers | None:
        """Return what handovers need, or None when config/handover.yaml does not exist."""
        if self.handover_config is None or self.routing_config is None:
            return None
        if self._team is None:
            self._team = TeamCache(self.gateway, shared=(self.redis, f"{self.settings.redis_prefix}:team"))
        return Handovers(self.handover_config, self.routing_config, self._notifier(), self._team, self._contact_url)

    def _notifier(self) -> Notifier:
        url = self.settings.handover_webhook_url
        return WebhookNotifier(url.get_secret_value(), timeout=5.0) if url else NullNotifier()

    def _contact_url(self, contact_id: str) -> str | None:
        portal = self.settings.hubspot_portal_id
        base = str(self.settings.hubspot_app_base).rstrip("/")
        return f"{base}/contacts/{portal}/record/0-1/{contact_id}" if portal else None

    def resolve_context(self) -> ResolveContext:
        return ResolveContext(
            self.ledger, self.gateway(), self.worklist, self.signal_rules, self.clock, company_cache=self.company_cache
        )

    @property
    def company_cache(self) -> CompanyCache | None:
        """Return the company cache, or None when COMPANY_CACHE_SECONDS is 0."""
        seconds = self.settings.company_cache_seconds
        return CompanyCache(self.redis, self.settings.redis_prefix, seconds) if seconds else None

    def webhook_intake(self) -> WebhookIntake:
        context = TranslationContext(app_id=self.settings.hubspot_app_id, rules=self.signal_rules)
        return WebhookIntake(self.ledger, self.worklist, context, self.clock)


def load_handover_rules(config_dir: Path, model: ScoringModel) -> tuple[HandoverConfig | None, RoutingConfig | None]:
    """Load handover.yaml and routing.yaml when the configuration has them (handovers are optional)."""
    handover_file, routing_file = config_dir / "handover.yaml", config_dir / "routing.yaml"
    if not handover_file.exists():
        return None, None
    labels = {stage.id: stage.label for stage in model.stages}
    handover = load_handover(handover_file, model.stage_ids, labels)
    return handover, load_routing(routing_file)


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
) -> Container:
    """Build every adapter from `settings` (migrating the ledger to the newest schema)."""
    from app.jobs import enqueue_job  # the jobs module reaches back here for the current container

    model, signal_rules = load_rules(settings.leadflow_config)
    handover_config, routing_config = load_handover_rules(settings.leadflow_config, model)
    engine = create_ledger_engine(settings.database_url)
    migrate(engine)
    redis = redis or connect_redis(settings.redis_url)
    queue = Queue(settings.queue_name, connection=redis, serializer=JSONSerializer)
    return Container(
        settings=settings,
        ledger=Ledger(engine),
        redis=redis,
        queue=queue,
        worklist=Worklist(redis, lambda job: enqueue_job(queue, job), prefix=settings.redis_prefix),
        model=model,
        signal_rules=signal_rules,
        handover_config=handover_config,
        routing_config=routing_config,
        gateway_factory=gateway_factory or sdk_gateway_factory(settings, redis),
        clock=clock,
    )


_current: Container | None = None


def install(container: Container) -> None:
    """Make `container` the one the jobs of this process use."""
    global _current  # noqa: PLW0603 - one container per process, set by the entry point
    _current = container


def current() -> Container:
    """Return this process's container, building it from the environment on first use."""
    if _current is None:
        install(build_container(load_settings()))
    assert _current is not None
    return _current
