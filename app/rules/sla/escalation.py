"""Who hears of an untouched lead, and what the watch says: the escalation's recipient and the messages.

HubSpot's owners API names no managers, so `to: manager` reads `escalation.managers` (owner's email → manager's
email) and `to: team_lead` reads `escalation.team_leads` (HubSpot team → lead's email) in config/sla.yaml; a named
`user` is that owner. An owner with no recipient configured (or a recipient who is not an active HubSpot owner)
is escalated all the same, by notification only: no task can be given to nobody.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.rules.handover.types import Owner
from app.rules.sla.policy import Escalation
from app.rules.values import as_utc


def escalation_recipient(escalation: Escalation, owner: Owner | None, team: Mapping[str, Owner]) -> Owner | None:
    """Return the active owner an escalation goes to, or None when none is configured or found."""
    email: str | None
    if escalation.to == "user":
        email = escalation.user_email
    elif owner is None:
        email = None
    elif escalation.to == "manager":
        email = escalation.managers.get(owner.email.casefold())
    else:
        email = next(
            (escalation.team_leads[t.casefold()] for t in owner.teams if t.casefold() in escalation.team_leads), None
        )
    if email is None:
        return None
    return next((o for o in team.values() if o.active and o.email.casefold() == email.casefold()), None)


def owner_label(owner: Owner | None, owner_id: str | None) -> str:
    """Return how messages name an owner: its name, else its email, else its id."""
    if owner is not None:
        return owner.name or owner.email or owner.id
    return f"owner {owner_id}" if owner_id else "nobody"


def watch_message(text: str, contact_url: str | None) -> dict[str, Any]:
    """Return a Slack-compatible message (`text` only), with a link to the contact when there is one."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {"text": escaped + (f" · {contact_url}" if contact_url else "")}


def due_text(due_at: datetime) -> str:
    """Return a due time as messages show it."""
    return f"{as_utc(due_at):%Y-%m-%d %H:%M} UTC"
