"""The portal's owners (HubSpot users who can own records): read-only over HTTP, seeded through the Python API.

An owner's ``id`` is what ``hubspot_owner_id`` holds; ``userId`` is the user behind it. Deactivated (archived)
owners keep their ``id`` but lose ``userId`` (HubSpot keeps it in ``userIdIncludingInactive``) and can no longer
own records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

FIRST_OWNER_ID = 70000001
FIRST_USER_ID = 9000001
FIRST_TEAM_ID = 5000001


@dataclass(frozen=True)
class Team:
    """A team an owner belongs to (one of them is the owner's primary team)."""

    id: str
    name: str
    primary: bool


@dataclass
class Owner:
    """One owner of the portal."""

    id: str
    user_id: int
    email: str
    first_name: str
    last_name: str
    created_at: str
    updated_at: str
    teams: list[Team] = field(default_factory=list)
    archived: bool = False


class Owners:
    """The owners of one portal, by id; the store guards them with its lock."""

    def __init__(self) -> None:
        self._owners: dict[str, Owner] = {}
        self._team_ids: dict[str, str] = {}

    def create(
        self, email: str, first_name: str, last_name: str, teams: Iterable[str], archived: bool, now: str
    ) -> Owner:
        """Add an owner (the first team named is its primary team)."""
        index = len(self._owners)
        owner = Owner(
            id=str(FIRST_OWNER_ID + index),
            user_id=FIRST_USER_ID + index,
            email=email.strip().lower(),
            first_name=first_name,
            last_name=last_name,
            created_at=now,
            updated_at=now,
            teams=[Team(self._team_id(name), name, position == 0) for position, name in enumerate(teams)],
            archived=archived,
        )
        self._owners[owner.id] = owner
        return owner

    def archive(self, owner_id: str, now: str) -> Owner | None:
        """Deactivate an owner; return it, or None when no owner has that id."""
        owner = self._owners.get(owner_id)
        if owner is not None and not owner.archived:
            owner.archived, owner.updated_at = True, now
        return owner

    def find(self, key: str, *, archived: bool = False, by_user_id: bool = False) -> Owner | None:
        """Return the owner an id (or a userId) names among the active (or the archived) owners."""
        for owner in self._owners.values():
            if owner.archived == archived and key == (str(owner.user_id) if by_user_id else owner.id):
                return owner
        return None

    def listed(self, *, archived: bool = False, email: str | None = None) -> list[Owner]:
        """Return the active (or archived) owners by increasing id, optionally only those with one email."""
        wanted = email.strip().lower() if email else None
        found = [o for o in self._owners.values() if o.archived == archived and wanted in (None, o.email)]
        return sorted(found, key=lambda o: int(o.id))

    def can_own(self, owner_id: str) -> bool:
        """Return whether ``hubspot_owner_id`` may hold ``owner_id`` (an active owner's id)."""
        return self.find(owner_id) is not None

    def _team_id(self, name: str) -> str:
        return self._team_ids.setdefault(name, str(FIRST_TEAM_ID + len(self._team_ids)))
