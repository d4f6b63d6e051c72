"""Setting a malformed event aside: what the ledger keeps of it (bounded), and what of it is readable.

An event of an accepted batch that has the wrong shape, or lacks a field its type needs, is quarantined with its
reason instead of costing its neighbours their delivery. `leadflow quarantine` lists, replays and drops them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from app.ledger.records import QuarantinedEvent

MAX_EVENT_CHARS = 8192  # the event's JSON text is cut here: enough for any HubSpot event, bounded for any other
MAX_REASON_CHARS = 1024
ID_CHARS = 32  # the ledger's id columns


def quarantined(item: Any, reason: str) -> QuarantinedEvent:
    """Return what the ledger keeps of a malformed event: its JSON (cut at `MAX_EVENT_CHARS`) and its reason."""
    text = json.dumps(item, ensure_ascii=False)
    fields = item if isinstance(item, dict) else {}
    return QuarantinedEvent(
        event=text[:MAX_EVENT_CHARS],
        reason=reason[:MAX_REASON_CHARS],
        fingerprint=_fingerprint(item),
        portal_id=_readable_id(fields.get("portalId")),
        subscription_type=_readable_text(fields.get("subscriptionType")),
        object_id=_readable_id(fields.get("objectId")),
    )


def _fingerprint(item: Any) -> str:
    """Identify an event across HubSpot's deliveries of it (which differ in `attemptNumber` only)."""
    if isinstance(item, dict):
        item = {key: value for key, value in item.items() if key != "attemptNumber"}
    return hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()


def _readable_id(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()):
        return None
    text = str(int(text))
    return text if len(text) <= ID_CHARS else None


def _readable_text(value: Any) -> str | None:
    return value[:128] if isinstance(value, str) and value else None
