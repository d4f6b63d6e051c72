"""HubSpot's owners as Leadflow's `Owner` values (the owners API is read-only; routing reads it, caches it)."""

from __future__ import annotations

from typing import Any

from app.rules.handover.types import Owner

OWNER_PAGE_LIMIT = 500  # the owners API's largest page


def owner_of(public_owner: Any, active: bool) -> Owner:
    """Return the `Owner` of one of the API's `PublicOwner`s; its teams by name, the primary team first."""
    teams = sorted(public_owner.teams or [], key=lambda team: not team.primary)
    first, last = public_owner.first_name or "", public_owner.last_name or ""
    email = public_owner.email or ""
    # An archived owner keeps its user only in `userIdIncludingInactive`: its touches still need an author.
    user = public_owner.user_id_including_inactive or public_owner.user_id
    return Owner(
        id=str(public_owner.id),
        email=email,
        name=f"{first} {last}".strip() or email,
        teams=tuple(team.name or str(team.id) for team in teams),
        active=active,
        user_id=str(user) if user else None,
    )


def next_cursor(page: Any) -> str | None:
    """Return the cursor of the page after `page`, or None on the last page."""
    return page.paging.next.after if page.paging and page.paging.next else None
