"""The scopes a private app's token may hold: a token the twin was given no scopes for holds all of these (but the
Leads' in a portal without Leads: its app cannot be granted them)."""

from __future__ import annotations

OBJECTS = ("contacts", "companies", "deals")
LEAD_SCOPES = frozenset(
    {"crm.objects.leads.read", "crm.objects.leads.write", "crm.schemas.leads.read", "crm.schemas.leads.write"}
)
PORTAL_SCOPES = frozenset(
    {
        "oauth",
        *LEAD_SCOPES,
        *(f"crm.objects.{name}.{verb}" for name in OBJECTS for verb in ("read", "write")),
        *(f"crm.schemas.{name}.{verb}" for name in OBJECTS for verb in ("read", "write")),
        "crm.objects.owners.read",
        "crm.lists.read",
        "crm.lists.write",
        "automation.sequences.read",
        "automation.sequences.enrollments.write",
    }
)
