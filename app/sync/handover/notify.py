"""Handover notifications to an outgoing webhook (Slack-compatible JSON), sent without ever failing the handover.

A notification is a courtesy: the owner, the task and the deal are what matter. So `WebhookNotifier` never
raises; it answers a `NotificationResult` the caller may record. It retries once, shortly, when the receiver
failed (5xx, a timeout, no connection) and never when it refused (4xx). Slack's incoming-webhook URLs carry their
secret in the path, so neither logs nor results ever hold the URL: only its host.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

logger = logging.getLogger(__name__)
MAX_ERROR_TEXT = 200  # receivers answer short reasons (Slack: `invalid_payload`, `no_service`)


@dataclass(frozen=True)
class NotificationResult:
    """`ok` when the receiver accepted it (or there is no receiver); `status` its last HTTP status, if any."""

    ok: bool
    status: int | None = None
    error: str | None = None


Payload = Mapping[str, Any]  # Slack-compatible JSON, built by the rules (app.rules.handover.notification)


class Notifier(Protocol):
    def notify(self, payload: Payload) -> NotificationResult:
        """Send the notification; never raise."""
        ...


class NullNotifier:
    """The notifier when no webhook is configured: accepts everything, sends nothing."""

    def notify(self, payload: Payload) -> NotificationResult:
        return NotificationResult(ok=True)


class WebhookNotifier:
    """POST Slack-compatible JSON to an incoming-webhook URL; one retry on 5xx or timeout."""

    def __init__(self, url: str, timeout: float, backoff: float = 0.5) -> None:
        self._url = url
        self._host = urlsplit(url).hostname or "the webhook (no host in its URL)"
        self._timeout = timeout
        self._backoff = backoff
        self._session = requests.Session()

    def notify(self, payload: Payload) -> NotificationResult:
        """Send it; on a 5xx, a timeout or a dropped connection wait `backoff` seconds and send it once more."""
        result, worth_retrying = self._post(payload)
        if worth_retrying:
            time.sleep(self._backoff)
            result, _ = self._post(payload)
        if not result.ok:
            logger.warning("notify.failed", extra={"host": self._host, "status": result.status, "error": result.error})
        return result

    def _post(self, payload: Mapping[str, Any]) -> tuple[NotificationResult, bool]:
        """Return the result of one POST and whether another try may succeed."""
        try:
            response = self._session.post(self._url, json=payload, timeout=self._timeout)
        except requests.Timeout:
            return NotificationResult(False, error=f"no answer from {self._host} within {self._timeout} s"), True
        except requests.RequestException as exc:
            # The exception's text names the URL, secret path included: only its class is kept.
            error = f"could not reach {self._host} ({type(exc).__name__})"
            return NotificationResult(False, error=error), isinstance(exc, requests.ConnectionError)
        if response.ok:
            return NotificationResult(True, response.status_code), False
        error = f"{self._host} answered {response.status_code}: {response.text[:MAX_ERROR_TEXT]}"
        return NotificationResult(False, response.status_code, error), response.status_code >= 500
