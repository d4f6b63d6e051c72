"""`leadflow twin`: build the twin the options describe (limits, faults, a seeded portal, webhooks) and serve it."""

from __future__ import annotations

from collections.abc import Callable

from app.rules import load_configuration
from app.rules.subscriptions import required_subscriptions
from app.twin_options import TwinOptions
from hubspot_twin import Twin, run
from hubspot_twin.errors import PORTAL_ID
from hubspot_twin.http.faults import FaultPlan
from hubspot_twin.http.guard import GuardConfig
from hubspot_twin.simulator import seed_portal
from hubspot_twin.webhooks.subscriptions import Subscription, WebhookSettings


def build_twin(options: TwinOptions) -> Twin:
    """Return the twin the options describe, seeded if asked."""
    faults = FaultPlan(
        seed=options.seed,
        rate_limit=options.fault_429,
        server_error=options.fault_5xx,
        slow=options.fault_slow,
        drop=options.fault_drop,
        delay=options.slow_seconds,
    )
    limits = GuardConfig(
        ten_second_limit=options.rate_limit or None, daily_limit=options.daily_limit or None, faults=faults
    )
    apps = dict.fromkeys(options.tokens, options.app_id)
    twin = Twin(access_tokens=set(options.tokens), apps=apps, limits=limits, leads=options.leads)
    if options.contacts:
        seed_portal(twin, options.contacts, options.seed)
    return twin


def webhook_settings(options: TwinOptions, url: str) -> WebhookSettings:
    """Subscribe the twin's app to what Leadflow's configuration needs (as `leadflow setup` lists it)."""
    config = load_configuration(options.config_dir)
    first_touch = config.sla.first_touch if config.sla else None
    wanted = required_subscriptions(config.model, config.signals, config.handover, first_touch)
    subscriptions = tuple(Subscription(s.subscription_type, s.property_name, s.object_type_id) for s in wanted)
    return WebhookSettings(url, options.client_secret, int(options.app_id), PORTAL_ID, subscriptions=subscriptions)


def run_twin(options: TwinOptions, echo: Callable[[str], None]) -> None:
    """Serve the twin in the foreground, delivering webhooks when a URL is given."""
    twin = build_twin(options)
    dispatcher = twin.start_webhooks(webhook_settings(options, options.webhook_url)) if options.webhook_url else None
    echo(f"tokens: {', '.join(options.tokens)} (app {options.app_id}); set HUBSPOT_API_BASE to the URL below")
    if options.contacts:
        echo(f"seeded {options.contacts} contacts (seed {options.seed})")
    if dispatcher is not None:
        echo(f"webhooks → {options.webhook_url}, signed with the client secret given")
    try:
        run(port=options.port, host=options.host, twin=twin)
    finally:
        if dispatcher is not None:
            dispatcher.stop(drain=False)
