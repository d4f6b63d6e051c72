"""The twin's private-app token introspection: the token's scopes (every scope unless granted fewer), HubSpot's 401
for a token it does not accept, a 400 without `tokenKey`."""

from __future__ import annotations

from hubspot_twin import Twin
from hubspot_twin.catalog.scopes import PORTAL_SCOPES

PATH = "/oauth/v2/private-apps/get/access-token-info"
AUTH = {"Authorization": "Bearer app-token"}


def test_a_token_holds_every_scope_until_it_is_granted_fewer() -> None:
    twin = Twin(access_tokens={"app-token"}, apps={"app-token": "777"})
    client = twin.app.test_client()

    answer = client.post(PATH, json={"tokenKey": "app-token"}, headers=AUTH)
    assert answer.status_code == 200
    assert answer.json is not None
    assert set(answer.json["scopes"]) == PORTAL_SCOPES and answer.json["appId"] == 777

    twin.grant_scopes("app-token", ["oauth", "crm.objects.contacts.read"])
    answer = client.post(PATH, json={"tokenKey": "app-token"}, headers=AUTH)
    assert answer.json is not None and answer.json["scopes"] == ["crm.objects.contacts.read", "oauth"]


def test_a_token_the_twin_does_not_accept_is_a_401_and_a_missing_key_a_400() -> None:
    client = Twin(access_tokens={"app-token"}).app.test_client()

    assert client.post(PATH, json={"tokenKey": "revoked"}, headers=AUTH).status_code == 401
    missing = client.post(PATH, json={}, headers=AUTH)
    assert missing.status_code == 400
    assert missing.json is not None and "tokenKey is required" in missing.json["message"]
