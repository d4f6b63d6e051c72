"""Webhook signatures as HubSpot makes them (v3 and v1), and the headers HubSpot sends with a webhook request.

The official SDK's `Signature.is_valid` accepts these signatures.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

# HubSpot decodes these escapes in the URI before it signs (v3); the receiver must do the same.
V3_DECODED = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
    "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip


def v3_uri(uri: str) -> str:
    """Return `uri` with HubSpot's v3 list of escapes decoded."""
    for escape, character in V3_DECODED.items():
        uri = uri.replace(escape, character).replace(escape.lower(), character)
    return uri


def sign_v3(client_secret: str, method: str, uri: str, body: str, timestamp_ms: str) -> str:
    """Return HubSpot's v3 signature: base64 HMAC-SHA256 of method + URI + body + timestamp."""
    message = f"{method}{v3_uri(uri)}{body}{timestamp_ms}".encode()
    return base64.b64encode(hmac.new(client_secret.encode(), message, hashlib.sha256).digest()).decode()


def sign_v1(client_secret: str, body: str) -> str:
    """Return HubSpot's v1 signature: hex SHA-256 of secret + body."""
    return hashlib.sha256(f"{client_secret}{body}".encode()).hexdigest()


def signed_headers(client_secret: str, uri: str, body: str, timestamp_ms: int | None = None) -> dict[str, str]:
    """Return the headers HubSpot sends with a webhook request to `uri`."""
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    return {
        "Content-Type": "application/json",
        "User-Agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/) - WebhooksExecutorDaemon (twin)",
        "X-HubSpot-Signature": sign_v1(client_secret, body),
        "X-HubSpot-Signature-Version": "v1",
        "X-HubSpot-Signature-v3": sign_v3(client_secret, "POST", uri, body, timestamp),
        "X-HubSpot-Request-Timestamp": timestamp,
    }
