"""Request and response plumbing shared by the API modules: JSON in, JSON out, HubSpot's input rules."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Response, current_app, request

from hubspot_twin.crm.changes import ChangeSource, integration
from hubspot_twin.crm.store import Store
from hubspot_twin.errors import HubSpotError, invalid_input, missing_attributes, too_many_inputs
from hubspot_twin.http.counters import RequestCounter

CONTENT_TYPE = "application/json;charset=utf-8"
EXTENSION = "hubspot_twin"
# The app a token belongs to when ``apps`` does not name one (the webhook EventFactory's default app id too).
DEFAULT_APP_ID = "4242"


@dataclass(frozen=True)
class TwinContext:
    """What the views need: the state, the request counter, the accepted tokens (None: any token), the app
    each token belongs to (``apps``: token → app id; any other accepted token belongs to ``DEFAULT_APP_ID``) and
    the scopes granted to a token (``scopes``: token → scopes; any other token holds every scope)."""

    store: Store
    counter: RequestCounter
    tokens: frozenset[str] | None
    apps: Mapping[str, str] = field(default_factory=dict)
    scopes: dict[str, frozenset[str]] = field(default_factory=dict)

    def app_id(self, token: str) -> str:
        """Return the id of the app that owns ``token``."""
        return self.apps.get(token, DEFAULT_APP_ID)


def context() -> TwinContext:
    """Return the context of the app serving this request."""
    found: TwinContext = current_app.extensions[EXTENSION]
    return found


def store() -> Store:
    """Return the store of the app serving this request."""
    return context().store


def request_token() -> str:
    """Return the bearer token of this request (empty when there is none)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def request_source() -> ChangeSource:
    """Return the source of the changes this request makes: ``INTEGRATION`` by the app owning its token."""
    return integration(context().app_id(request_token()))


def respond(body: Any, status: int = 200) -> Response:
    """Return compact JSON with HubSpot's content type."""
    return Response(json.dumps(body, separators=(",", ":")), status=status, content_type=CONTENT_TYPE)


def no_content() -> Response:
    """Return an empty 204."""
    return Response(status=204)


def json_body() -> Any:
    """Return the parsed request body, or raise HubSpot's 400 for malformed JSON."""
    raw = request.get_data(cache=True, as_text=True)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise HubSpotError(
            400, f"Invalid input JSON on line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None


def body_object(input_class: str) -> dict[str, Any]:
    """Return the body when it is a JSON object, else raise HubSpot's 400."""
    body = json_body()
    if not isinstance(body, dict):
        raise invalid_input(f"Cannot build {input_class} from a JSON {type(body).__name__}")
    return body


def batch_inputs(input_class: str, limit: int | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return the body and its ``inputs`` (each a JSON object), enforcing the batch limit."""
    body = body_object(input_class)
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise missing_attributes(input_class, ["inputs"])
    if limit is not None and len(inputs) > limit:
        raise too_many_inputs(limit)
    if not all(isinstance(item, dict) for item in inputs):
        raise invalid_input(f"every input of {input_class} must be a JSON object")
    return body, inputs


def query_list(name: str) -> list[str] | None:
    """Return a list query parameter, comma-separated, repeated or both (None when absent)."""
    values = request.args.getlist(name)
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def query_bool(name: str) -> bool:
    """Return a boolean query parameter (the SDK sends ``True``/``False``)."""
    return request.args.get(name, "false").strip().lower() == "true"


def query_int(name: str, default: int) -> int:
    """Return an integer query parameter, or raise HubSpot's 400 when it is not one."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.strip().lstrip("-").isdigit():
        raise HubSpotError(400, f"Invalid value for query parameter {name}: {raw}")
    return int(raw)
