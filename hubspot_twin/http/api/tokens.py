"""Private-app token introspection: ``POST /oauth/v2/private-apps/get/access-token-info`` with ``{"tokenKey"}``.

HubSpot answers with the token's portal, app, user and scopes; the twin answers with the scopes it was given for
that token (``Twin.grant_scopes``), every scope of ``PORTAL_SCOPES`` otherwise (without the Leads' in a portal
without Leads). A token the twin does not accept is
HubSpot's 401.
"""

from __future__ import annotations

from flask import Blueprint, Response

from hubspot_twin.catalog.scopes import LEAD_SCOPES, PORTAL_SCOPES
from hubspot_twin.errors import invalid_input, unauthorized
from hubspot_twin.http.api.plumbing import context, json_body, respond, store

blueprint = Blueprint("tokens", __name__, url_prefix="/oauth/v2/private-apps/get")
PORTAL_ID = 1_000_001
USER_ID = 2_000_001


@blueprint.post("/access-token-info")
def access_token_info() -> Response:
    """Describe the token named by ``tokenKey``: its portal, app, user and scopes."""
    body = json_body()
    token = body.get("tokenKey") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise invalid_input("tokenKey is required")
    twin = context()
    if twin.tokens is not None and token not in twin.tokens:
        raise unauthorized()
    scopes = twin.scopes.get(token, PORTAL_SCOPES if store().leads else PORTAL_SCOPES - LEAD_SCOPES)
    return respond({"userId": USER_ID, "hubId": PORTAL_ID, "appId": int(twin.app_id(token)), "scopes": sorted(scopes)})
