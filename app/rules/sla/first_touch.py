"""The first touch of a handover: which touches of a contact count, for which handover, and which one is first.

A touch counts for the handover that was open when it happened: the contact's newest handover assigned at or
before the touch, unless that handover had ended by then (rejected, or its deal closed). It counts when its kind
is enabled in sla.yaml's `first_touch` and it is by the handover's owner (or by anyone with `touch_by_others`).
A lead status or deal stage change and a completed task name the HubSpot *user* who made them (`user_id`), not an
owner: the user's owner comes from the sales team (`users`, user id → owner id). A touch whose author is not known
that way (no user named, or a user the team does not list) is taken to be the owner's. The earliest counting touch
of a handover is its first touch, whatever order the touches arrived in.
See docs/sla.md, "What counts as a first touch".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from app.rules.sla.policy import FirstTouch
from app.rules.values import as_utc, to_timestamp

ENGAGEMENT_KINDS = ("call", "email", "meeting")
TOUCH_KINDS = (*ENGAGEMENT_KINDS, "task", "lead_status", "deal_stage", "lead_stage", "reconciled")
SALES_EMAIL = "EMAIL"  # hs_email_direction of an e-mail a rep sent (INCOMING_EMAIL, FORWARDED_EMAIL are not)
# HubSpot's hs_sa_first_engagement_object_type values, as the touch kinds they stand for.
FIRST_ENGAGEMENT_KINDS: Mapping[str, str] = {
    "CALL": "call",
    "EMAIL": "email",
    "MEETING_EVENT": "meeting",
    "TASK": "task",
}


@dataclass(frozen=True, slots=True)
class Touch:
    """Something sales did to a contact: `source_key` names it (`call:123`), `owner_id` who did it (None: not told),
    `user_id` the HubSpot user who did it, where HubSpot names a user instead of an owner."""

    source_key: str
    kind: str
    at: datetime
    owner_id: str | None = None
    user_id: str | None = None

    def author(self, users: Mapping[str, str]) -> str | None:
        """Return the owner who made the touch: its own, else its user's owner (None: not known)."""
        return self.owner_id or (users.get(self.user_id) if self.user_id else None)


@dataclass(frozen=True, slots=True)
class HandoverWindow:
    """What the first touch needs of a handover: its owner, when it was assigned, and when it ended (None: open)."""

    key: str
    owner_id: str | None
    assigned_at: datetime
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a touch is to the SLA: the handover open at the time (None: none) and whether it counted there."""

    handover_key: str | None
    counted: bool


@dataclass(frozen=True, slots=True)
class Judgement:
    """Every touch's verdict (by source key) and every handover's first touch (by handover key; None: untouched)."""

    verdicts: Mapping[str, Verdict]
    first: Mapping[str, Touch | None]


def kind_enabled(policy: FirstTouch, kind: str) -> bool:
    """Return whether touches of this kind may stop the clock under `policy`."""
    if kind in ENGAGEMENT_KINDS:
        return kind in policy.engagements
    return {
        "task": policy.task_completed,
        "lead_status": bool(policy.lead_statuses),
        "deal_stage": policy.deal_stage_moved,
        "lead_stage": policy.lead_stage_moved,
        "reconciled": True,  # only recorded when the engagement it stands for is enabled (`reconciled_touch`)
    }.get(kind, False)


def open_handover(handovers: Sequence[HandoverWindow], at: datetime) -> HandoverWindow | None:
    """Return the handover open at `at`: the newest assigned at or before it, unless it had ended by then."""
    assigned = [h for h in handovers if as_utc(h.assigned_at) <= as_utc(at)]
    if not assigned:
        return None
    newest = max(assigned, key=lambda h: as_utc(h.assigned_at))
    ended = newest.ended_at is not None and as_utc(newest.ended_at) <= as_utc(at)
    return None if ended else newest


def by_owner(policy: FirstTouch, touch: Touch, handover: HandoverWindow, users: Mapping[str, str]) -> bool:
    """Return whether the touch stops this handover's clock as far as its author goes."""
    author = touch.author(users)
    return policy.touch_by_others or author is None or author == handover.owner_id


def verdict(policy: FirstTouch, handovers: Sequence[HandoverWindow], touch: Touch, users: Mapping[str, str]) -> Verdict:
    """Return the handover a touch concerns and whether it counts there."""
    handover = open_handover(handovers, touch.at)
    if handover is None:
        return Verdict(None, False)
    return Verdict(handover.key, kind_enabled(policy, touch.kind) and by_owner(policy, touch, handover, users))


def judge(
    policy: FirstTouch,
    handovers: Sequence[HandoverWindow],
    touches: Sequence[Touch],
    users: Mapping[str, str] | None = None,
) -> Judgement:
    """Judge one contact's touches against its handovers: each touch's verdict, each handover's first touch
    (the earliest counting one; on a tie, the smallest source key, so the result never depends on order).

    `users`: HubSpot user id → owner id, for the touches that name a user. A handover's first touch is returned
    with its author resolved (`owner_id`)."""
    known = users or {}
    verdicts = {touch.source_key: verdict(policy, handovers, touch, known) for touch in touches}
    first: dict[str, Touch | None] = {handover.key: None for handover in handovers}
    for touch in sorted(touches, key=lambda t: (as_utc(t.at), t.source_key)):
        found = verdicts[touch.source_key]
        if found.counted and found.handover_key is not None and first.get(found.handover_key) is None:
            first[found.handover_key] = replace(touch, owner_id=touch.author(known))
    return Judgement(verdicts, first)


def engagement_touch(
    kind: str, object_id: str, properties: Mapping[str, str | None], created_at: datetime
) -> Touch | None:
    """Return the touch an engagement object is (None: none, e.g. an incoming e-mail).

    `created_at` is when HubSpot created it; the touch is at its activity date (`hs_timestamp`) or at its
    creation, whichever is earlier: a meeting booked for next week touched the lead when it was booked.
    """
    if kind not in ENGAGEMENT_KINDS:
        return None
    if kind == "email" and properties.get("hs_email_direction") != SALES_EMAIL:
        return None
    activity = to_timestamp(properties.get("hs_timestamp"))
    at = min(as_utc(created_at), activity) if activity is not None else as_utc(created_at)
    return Touch(f"{kind}:{object_id}", kind, at, properties.get("hubspot_owner_id") or None)


def reconciled_touch(policy: FirstTouch, contact_id: str, properties: Mapping[str, str | None]) -> Touch | None:
    """Return the touch HubSpot's `hs_sa_first_engagement_date` records (None: none, or of a kind not enabled).

    HubSpot computes it for the contact's current owner, so the touch is that owner's (`hubspot_owner_id`)."""
    at = to_timestamp(properties.get("hs_sa_first_engagement_date"))
    kind = FIRST_ENGAGEMENT_KINDS.get(properties.get("hs_sa_first_engagement_object_type") or "")
    if at is None or kind is None or not kind_enabled(policy, kind):
        return None
    owner = properties.get("hubspot_owner_id") or None
    return Touch(f"reconciled:{contact_id}:{int(at.timestamp() * 1000)}", "reconciled", at, owner)


def lead_status_counts(policy: FirstTouch, value: str | None) -> bool:
    """Return whether the lead status moving to `value` is a touch under `policy`."""
    return bool(value) and value in policy.lead_statuses
