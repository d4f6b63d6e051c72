"""The secret values of the settings, for the log formatter to mask (`configure_logging(secrets=...)`)."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from pydantic import SecretStr

from app.settings import Settings


def secret_values(settings: Settings) -> list[str]:
    """Return every secret the settings hold: tokens, the client secret, URL passwords, the notifier's URL."""
    secrets = [
        _value(settings.hubspot_access_token),
        _value(settings.hubspot_client_secret),
        _value(settings.admin_token),
        _value(settings.dashboard_token),
        *_passwords(settings.database_url),
        *_passwords(settings.redis_url),
    ]
    notifier = _value(settings.handover_webhook_url)
    if notifier:
        # urllib3 logs the path of a request apart from its host: the path of an incoming-webhook URL is its secret
        secrets += [notifier, urlsplit(notifier).path]
    return [secret for secret in secrets if secret and secret != "/"]


def _value(secret: SecretStr | None) -> str:
    return secret.get_secret_value() if secret else ""


def _passwords(url: str) -> list[str]:
    """Return the URL's password as written and percent-decoded (the driver sees the decoded one)."""
    try:
        password = urlsplit(url).password or ""
    except ValueError:
        return []
    return [password, unquote(password)]
