"""Leadflow: qualifies B2B leads inside HubSpot. `create_app` is the web entry point (gunicorn, `leadflow web`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

if TYPE_CHECKING:
    from app.bootstrap import Container
    from app.card import CardEndpoint
    from app.ledger.store import Ledger
    from app.rules.calibration.backtest_runs import BacktestRun
    from app.settings import Settings
    from app.webhooks.views import WebhookEndpoint

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, container: Container | None = None) -> Flask:
    """Build the Flask app: the webhook receiver, the contact card's endpoint, health and readiness, `/metrics` and
    `/dashboard`, on `container`."""
    from app.bootstrap import build_container
    from app.card import create_card_blueprint
    from app.logs import configure_logging
    from app.observability.collector import ScrapeSources
    from app.observability.metrics import Metrics
    from app.observability.recorders import WebhookRequestRecorder
    from app.observability.secrets import secret_values
    from app.observability.web import install_operability
    from app.rules import ConfigError
    from app.serving.body import BodyDeadline
    from app.settings import LogFormat, SettingsError, load_settings
    from app.webhooks.views import create_blueprint

    try:
        settings = settings or (container.settings if container else load_settings())
        if container is None:
            # the production path (gunicorn 'app:create_app()'): JSON lines on stderr, secrets masked
            configure_logging(settings.log_level, secret_values(settings), settings.log_format_or(LogFormat.JSON))
        container = container or build_container(settings)
    except (SettingsError, ConfigError) as exc:
        raise SystemExit(f"leadflow: {exc}") from None
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.webhook_max_body_bytes
    app.extensions["leadflow"] = container
    metrics = Metrics(container.redis, settings.redis_prefix)
    app.register_blueprint(create_blueprint(_webhook_endpoint(settings, container, WebhookRequestRecorder(metrics))))
    app.add_url_rule("/healthz", "healthz", _healthz)
    admin_token = settings.admin_token.get_secret_value() if settings.admin_token else None
    install_operability(app, ScrapeSources(metrics, container.queue, container.worklist, container.ledger), admin_token)
    app.register_blueprint(_dashboard(settings, container))
    app.register_blueprint(create_card_blueprint(_card_endpoint(settings, container)))
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.wsgi_app = BodyDeadline(app.wsgi_app)  # type: ignore[method-assign]
    return app


def _webhook_endpoint(settings: Settings, container: Container, count: Callable[[str], None]) -> WebhookEndpoint:
    from app.webhooks.views import WebhookEndpoint

    secret = settings.hubspot_client_secret.get_secret_value() if settings.hubspot_client_secret else None
    return WebhookEndpoint(
        intake=container.webhook_intake(),
        client_secret=secret,
        public_url=str(settings.public_url) if settings.public_url else None,
        max_body_bytes=settings.webhook_max_body_bytes,
        count=count,
    )


def _card_endpoint(settings: Settings, container: Container) -> CardEndpoint:
    """The contact card's endpoint (docs/contact-card.md), signed with the webhooks' client secret."""
    from datetime import timedelta

    from app.card import CardEndpoint
    from app.ledger.card import CardStore
    from app.sync.card import ContactCards

    cards = ContactCards(
        store=CardStore(container.ledger.engine),
        gateway=container.gateway,
        worklist=container.worklist,
        handover_config=container.handover_config,
        sla_config=container.sla,
        clock=container.clock,
        recheck_after=timedelta(seconds=settings.hubspot_recheck_seconds),
        owner_names=partial(_shared_owner_names, container),
    )
    secret = settings.hubspot_client_secret.get_secret_value() if settings.hubspot_client_secret else None
    public_url = str(settings.public_url) if settings.public_url else None
    return CardEndpoint(cards, secret, public_url, settings.hubspot_portal_id)


def _dashboard(settings: Settings, container: Container) -> Blueprint:
    """The KPI dashboard over the container's ledger (docs/dashboard.md); off without DASHBOARD_USERS/_TOKEN."""
    from app.dashboard import DashboardAuth, DashboardSources, Expiring, create_dashboard_blueprint
    from app.dashboard.sources import FACTS_TTL_SECONDS
    from app.sync.kpis.facts import ledger_facts

    qualified = container.model.qualified_stages
    ledger = container.ledger
    sources = DashboardSources(
        facts=Expiring(lambda: ledger_facts(ledger, qualified), FACTS_TTL_SECONDS),
        all_clocks=Expiring(ledger.sla.all_clocks, FACTS_TTL_SECONDS),
        open_clocks=ledger.sla.open_clocks,
        owner_names=Expiring(partial(_shared_owner_names, container), FACTS_TTL_SECONDS),
        sla=container.sla,
        now=container.clock,
        nurture=Expiring(ledger.nurture.records, FACTS_TTL_SECONDS),
        nurture_config=container.nurture_config,
        last_backtest=_last_backtest(ledger, FACTS_TTL_SECONDS),
    )
    auth = DashboardAuth(settings.dashboard_logins(), settings.dashboard_token_value())
    if auth.enabled:
        sources.facts.warm()  # a large ledger's facts take seconds to read: not on the first visitor's time
    return create_dashboard_blueprint(auth, sources, settings.dashboard_sla_refresh_seconds)


def _last_backtest(ledger: Ledger, ttl: float) -> Callable[[], BacktestRun | None]:
    """The newest backtest recorded, read at most once per `ttl` (kept in a tuple: "none yet" is kept too)."""
    from app.dashboard import Expiring

    kept = Expiring(lambda: (ledger.backtests.latest(),), ttl)
    return lambda: kept()[0]


def _shared_owner_names(container: Container) -> dict[str, str]:
    """Return the owners' names from the copy of HubSpot's owners the workers share in Redis (the web process
    never calls HubSpot for them); without that copy, the dashboard shows owner ids."""
    from redis.exceptions import RedisError

    from app.sync.handover.team import shared_owners, team_key

    try:
        kept = shared_owners(container.redis, team_key(container.settings.redis_prefix))
    except RedisError:
        logger.warning("dashboard.owner-names-unavailable")
        return {}
    return {owner.id: owner.name for owner in kept or ()}


def _healthz() -> Response:
    """Answer that the process is alive (no I/O: readiness is `/readyz`)."""
    return jsonify(status="ok")


def _http_error(exc: HTTPException) -> tuple[Response, int]:
    return jsonify(error=(exc.name or "error").lower().replace(" ", "-"), message=exc.description), exc.code or 500


def _unexpected_error(exc: Exception) -> tuple[Response, int]:
    logger.exception("web.unexpected-error")
    return jsonify(error="internal-error", message="Leadflow could not handle this request"), 500
