"""The scopes a private app's token may hold: a token the twin was given no scopes for holds all of these."""

from __future__ import annotations

OBJECTS = ("contacts", "companies", "deals")
PORTAL_SCOPES = frozenset(
    {
        "oauth",
        *(f"crm.objects.{name}.{verb}" for name in OBJECTS for verb in ("read", "write")),
        *(f"crm.schemas.{name}.{verb}" for name in OBJECTS for verb in ("read", "write")),
        "crm.objects.owners.read",
        "crm.lists.read",
        "crm.lists.write",
        "automation.sequences.read",
        "automation.sequences.enrollments.write",
    }
)
