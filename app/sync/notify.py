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
class Notification:
    """What to tell: a one-line summary, labelled facts, and a link (e.g. to the contact in HubSpot)."""

    summary: str
    facts: tuple[tuple[str, str], ...] = ()
    link: str | None = None
    link_label: str = "Open in HubSpot"


@dataclass(frozen=True)
class NotificationResult:
    """`ok` when the receiver accepted it (or there is no receiver); `status` its last HTTP status, if any."""

    ok: bool
    status: int | None = None
    error: str | None = None


class Notifier(Protocol):
    def notify(self, notification: Notification) -> NotificationResult:
        """Send the notification; never raise."""
        ...


class NullNotifier:
    """The notifier when no webhook is configured: accepts everything, sends nothing."""

    def notify(self, notification: Notification) -> NotificationResult:
        return NotificationResult(ok=True)


class WebhookNotifier:
    """POST Slack-compatible JSON to an incoming-webhook URL; one retry on 5xx or timeout."""

    def __init__(self, url: str, timeout: float, backoff: float = 0.5) -> None:
        self._url = url
        self._host = urlsplit(url).hostname or "the webhook (no host in its URL)"
        self._timeout = timeout
        self._backoff = backoff
        self._session = requests.Session()

    def notify(self, notification: Notification) -> NotificationResult:
        """Send it; on a 5xx, a timeout or a dropped connection wait `backoff` seconds and send it once more."""
        payload = slack_payload(notification)
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


def slack_payload(notification: Notification) -> dict[str, Any]:
    """Return Slack's incoming-webhook JSON: `text` (the fallback every receiver shows) and Block Kit blocks."""
    summary = _escaped(notification.summary)
    link = f"<{notification.link}|{_escaped(notification.link_label)}>" if notification.link else None
    blocks: list[dict[str, Any]] = [_section(summary)]
    if notification.facts:
        fields = [
            {"type": "mrkdwn", "text": f"*{_escaped(label)}*\n{_escaped(value)}"} for label, value in notification.facts
        ]
        blocks.append({"type": "section", "fields": fields[:10]})  # Slack allows 10 fields per section
    if link:
        blocks.append(_section(link))
    return {"text": f"{summary} {link}" if link else summary, "blocks": blocks}


def _escaped(text: str) -> str:
    """Return `text` with the three characters Slack's mrkdwn reserves escaped (a contact named `<b>` stays text)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}
