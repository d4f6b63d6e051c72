"""HubSpot's error bodies.

``HubSpotError`` is the one exception of the twin: the store and the views raise it, the app turns it into
``{"status": "error", "message", "correlationId", "category", "subCategory"?, "errors"?, "context"?}`` with its
HTTP status, and the Python API (``Twin``) lets it through unchanged. ``standard_error`` builds the per-input
entries of a 207 multi-status body.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more "
    "details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
# The portal id that HubSpot embeds in property validation messages (a twin value).
PORTAL_ID = 20000001


class HubSpotError(Exception):
    """An error HubSpot would answer with: HTTP status plus the body's fields."""

    def __init__(
        self,
        status: int,
        message: str,
        category: str = "VALIDATION_ERROR",
        *,
        errors: list[dict[str, Any]] | None = None,
        context: dict[str, list[str]] | None = None,
        sub_category: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.category = category
        self.errors = errors
        self.context = context
        self.sub_category = sub_category

    def body(self) -> dict[str, Any]:
        """Return the JSON body, keys in HubSpot's order."""
        body: dict[str, Any] = {"status": "error", "message": self.message, "correlationId": str(uuid.uuid4())}
        if self.errors is not None:
            body["errors"] = self.errors
        if self.context is not None:
            body["context"] = self.context
        body["category"] = self.category
        if self.sub_category is not None:
            body["subCategory"] = self.sub_category
        return body


@dataclass(frozen=True)
class Issue:
    """One invalid property value of a write."""

    name: str
    value: str
    code: str
    message: str


def property_values_error(issues: list[Issue]) -> HubSpotError:
    """Return HubSpot's 400 for invalid property values: JSON array in ``message``, one ``errors[]`` each."""
    embedded = [
        {
            "isValid": False,
            "message": issue.message,
            "error": issue.code,
            "name": issue.name,
            "localizedErrorMessage": issue.message,
            "portalId": PORTAL_ID,
        }
        for issue in issues
    ]
    message = "Property values were not valid: " + json.dumps(embedded, separators=(",", ":"))
    errors = [
        {"message": issue.message, "code": issue.code, "context": {"propertyName": [issue.name]}} for issue in issues
    ]
    return HubSpotError(400, message, errors=errors)


def invalid_input(reason: str) -> HubSpotError:
    """Return a 400 for a body that does not fit the input class."""
    return HubSpotError(400, f"Invalid input JSON: {reason}")


def missing_attributes(input_class: str, names: list[str]) -> HubSpotError:
    """Return HubSpot's 400 for required attributes left out of an input."""
    listed = ", ".join(names)
    return invalid_input(f"Cannot build {input_class}, some of required attributes are not set [{listed}]")


def not_found(message: str = "resource not found") -> HubSpotError:
    """Return a 404 (HubSpot sends ``resource not found`` for an unknown numeric id)."""
    return HubSpotError(404, message, "OBJECT_NOT_FOUND")


def unauthorized() -> HubSpotError:
    """Return HubSpot's 401 for a missing or unknown token."""
    return HubSpotError(401, AUTH_MESSAGE, "INVALID_AUTHENTICATION")


def too_many_inputs(limit: int) -> HubSpotError:
    """Return HubSpot's 400 for a batch above its input limit."""
    message = f"The maximum number of inputs supported in a batch is {limit}."
    return HubSpotError(400, f"{message} Please reduce the number of items and try again")


def standard_error(
    category: str, message: str, context: dict[str, list[str]], sub_category: str | None = None
) -> dict[str, Any]:
    """Return one entry of a 207 body's ``errors`` (with the ``links``/``errors`` the SDK model requires)."""
    entry: dict[str, Any] = {"status": "error", "category": category}
    if sub_category is not None:
        entry["subCategory"] = sub_category
    entry.update(message=message, context=context, links={}, errors=[])
    return entry
