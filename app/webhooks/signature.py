"""HubSpot's v3 request signature, checked over the raw body and the public URL HubSpot called.

HubSpot signs its webhook deliveries (POST) and an app card's `hubspot.fetch` requests (any method) the same way.
"""

from __future__ import annotations

import re

from hubspot.exceptions import InvalidSignatureTimestampError
from hubspot.utils.signature import Signature

MAX_AGE_SECONDS = 300  # HubSpot: reject requests whose timestamp is older than five minutes

# HubSpot's v3 rule decodes exactly these escapes in the URI before signing, and no others.
V3_DECODED = {
    "3A": ":", "2F": "/", "3F": "?", "40": "@", "21": "!", "24": "$",
    "27": "'", "28": "(", "29": ")", "2A": "*", "2C": ",", "3B": ";",
}  # fmt: skip
_ESCAPE = re.compile("%(" + "|".join(V3_DECODED) + ")", re.IGNORECASE)


class SignatureRejected(Exception):
    """The request does not carry a valid, fresh v3 signature; `reason` names why (for logs)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def decode_v3_uri(uri: str) -> str:
    """Apply HubSpot's v3 URL-decoding list to `uri`."""
    return _ESCAPE.sub(lambda match: V3_DECODED[match.group(1).upper()], uri)


def verify_v3(
    signature: str, timestamp: str, body: bytes, uri: str, client_secret: str, now: float, method: str = "POST"
) -> None:
    """Raise `SignatureRejected` unless `signature` is HubSpot's valid, fresh v3 signature of this `method` request."""
    if not signature:
        raise SignatureRejected("signature-missing", "the X-HubSpot-Signature-v3 header is missing")
    if not signature.isascii():
        raise SignatureRejected("signature-invalid", "the signature does not match this request")
    _check_timestamp(timestamp, now)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SignatureRejected("body-not-utf8", "the request body is not UTF-8") from None
    try:
        valid = Signature.is_valid(
            signature=signature,
            client_secret=client_secret,
            request_body=text,
            http_uri=decode_v3_uri(uri),
            http_method=method,
            signature_version="v3",
            timestamp=timestamp,
        )
    except InvalidSignatureTimestampError:
        raise SignatureRejected("timestamp-stale", "the request timestamp is older than five minutes") from None
    if not valid:
        raise SignatureRejected("signature-invalid", "the signature does not match this request")


def _check_timestamp(timestamp: str, now: float) -> None:
    if not timestamp:
        raise SignatureRejected("timestamp-missing", "the X-HubSpot-Request-Timestamp header is missing")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 15:
        raise SignatureRejected("timestamp-invalid", "the request timestamp is not epoch milliseconds")
    age = now - int(timestamp) / 1000
    if abs(age) > MAX_AGE_SECONDS:
        raise SignatureRejected("timestamp-stale", "the request timestamp is more than five minutes off")
