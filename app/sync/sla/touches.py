"""The touches engagement objects are: calls, sales e-mails and meetings on a contact, read from HubSpot in
batches (one read per 100 objects of a type) once the resolver knows their contacts.

HubSpot's `object.creation` webhook names only the object; who logged it (`hubspot_owner_id`), when it happened
(`hs_timestamp`) and, for an e-mail, whether a rep sent it (`hs_email_direction`) are read here. The pure rules
(app/rules/sla/first_touch.py) turn each into a touch, or none (an incoming e-mail).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime

from app.ledger.records import NewTouch, PendingSignal, Resolution
from app.ledger.store import Ledger
from app.rules.handover.types import Owner
from app.rules.sla.first_touch import ENGAGEMENT_KINDS, engagement_touch
from app.rules.sla.policy import FirstTouch
from app.sync.hubspot.gateway import HubSpotGateway

TOUCH_PROPERTIES = ("hubspot_owner_id", "hs_timestamp")
EXTRA_PROPERTIES = {"email": ("hs_email_direction",)}


def engagement_touches(
    gateway: HubSpotGateway, signals: Sequence[PendingSignal], resolutions: Sequence[Resolution]
) -> list[NewTouch]:
    """Return the touches of the resolved engagement signals, one per contact each object is associated with."""
    by_id = {signal.id: signal for signal in signals}
    touching = [
        (by_id[resolution.signal_id], resolution)
        for resolution in resolutions
        if resolution.signal_id in by_id
        and resolution.contact_ids
        and by_id[resolution.signal_id].kind == "engagement.created"
        and by_id[resolution.signal_id].object_type in ENGAGEMENT_KINDS
    ]
    ids_by_type: dict[str, set[str]] = defaultdict(set)
    for signal, _resolution in touching:
        ids_by_type[signal.object_type].add(signal.object_id)
    properties = {
        kind: gateway.read_objects(kind, sorted(ids), [*TOUCH_PROPERTIES, *EXTRA_PROPERTIES.get(kind, ())])
        for kind, ids in ids_by_type.items()
    }
    found: list[NewTouch] = []
    for signal, resolution in touching:
        values = properties[signal.object_type].get(signal.object_id)
        if values is None:
            continue  # deleted in the meantime: no touch to judge
        touch = engagement_touch(signal.object_type, signal.object_id, values, signal.occurred_at)
        if touch is not None:
            found += [NewTouch(touch, contact_id=contact) for contact in resolution.contact_ids]
    return found


def learn_team(ledger: Ledger, team: Mapping[str, Owner], policy: FirstTouch, now: datetime) -> list[str]:
    """Tell the ledger which owner each of the team's HubSpot users is, so the touches HubSpot attributes to a user
    are judged by their author; return the contacts judged anew (touched by a user newly known or moved)."""
    users = {owner.user_id: owner.id for owner in team.values() if owner.user_id}
    return ledger.touches.learn_users(users, policy, now)
