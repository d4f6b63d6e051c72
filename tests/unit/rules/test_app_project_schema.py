"""The project's files against HubSpot's published file reference, field by field.

HubSpot's parser (tests/integration/test_hubspot_project_parser.py) checks the project's structure offline, but
fetches the JSON schemas of the components' `config` from HubSpot with an account; this test holds `config` to
the published references instead:
- https://developers.hubspot.com/docs/apps/developer-platform/build-apps/app-configuration (app-hsmeta.json)
- https://developers.hubspot.com/docs/apps/developer-platform/add-features/configure-webhooks (webhooks-hsmeta.json)
- https://developers.hubspot.com/docs/api-reference/webhooks-webhooks-v3/subscriptions/post-webhooks-v3-appId-subscriptions
  (the accepted subscription types)
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from app.rules import load_configuration
from app.rules.app_project import AppProject, features_of, project_files

ROOT = Path(__file__).resolve().parents[3]
UID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
CLASSIC_EVENTS = ("creation", "deletion", "merge", "restore", "propertyChange", "associationChange")
CLASSIC_TYPES = frozenset(f"{kind}.{event}" for kind in ("contact", "company", "deal", "ticket", "line_item")
                          for event in CLASSIC_EVENTS) | {"contact.privacyDeletion"}  # fmt: skip
GENERIC_TYPES = frozenset(f"object.{event}" for event in CLASSIC_EVENTS)
HUB_EVENTS = frozenset({"contact.privacyDeletion"})


def app_problems(document: dict[str, Any]) -> list[str]:
    """Return how an app-hsmeta.json departs from HubSpot's reference (nothing when it conforms)."""
    problems = _component_problems(document, "app")
    config = document.get("config", {})
    name, description = config.get("name"), config.get("description")
    if not isinstance(name, str) or not 0 < len(name) <= 200 or name != name.strip():
        problems.append("config.name: 1 to 200 characters, no whitespace at either end")
    if not isinstance(description, str) or not 0 < len(description) <= 8192:
        problems.append("config.description: 1 to 8192 characters")
    if config.get("distribution") not in ("private", "marketplace"):
        problems.append("config.distribution: private or marketplace")
    auth = config.get("auth", {})
    if auth.get("type") not in ("static", "oauth"):
        problems.append("config.auth.type: static or oauth")
    if config.get("distribution") == "marketplace" and auth.get("type") != "oauth":
        problems.append("config.auth.type: a marketplace app uses oauth")
    for field in ("requiredScopes", "optionalScopes", "conditionallyRequiredScopes"):
        scopes = auth.get(field, [])
        if not isinstance(scopes, list) or not all(isinstance(s, str) and s for s in scopes):
            problems.append(f"config.auth.{field}: a list of scope names")
    if not auth.get("requiredScopes"):
        problems.append("config.auth.requiredScopes: required")
    if auth.get("type") == "static" and "redirectUrls" in auth:
        problems.append("config.auth.redirectUrls: only for oauth")
    return problems + _permitted_url_problems(config.get("permittedUrls", {}))


def _permitted_url_problems(permitted: dict[str, Any]) -> list[str]:
    """Return how `permittedUrls` departs from the reference: three lists; fetch URLs https, never localhost."""
    problems = [
        f"config.permittedUrls.{field}: fetch, iframe or img, each a list"
        for field, urls in permitted.items()
        if field not in ("fetch", "iframe", "img") or not isinstance(urls, list)
    ]
    for url in permitted.get("fetch", []):
        if not isinstance(url, str) or not url.startswith("https://") or _is_localhost(url):
            problems.append(f"config.permittedUrls.fetch: {url!r} is not an https URL other than localhost")
    return problems


def _is_localhost(url: str) -> bool:
    """HubSpot refuses fetch URLs on localhost (a card reaches a local back end only through `hs project dev`)."""
    host = url.removeprefix("https://").split("/", 1)[0].split(":", 1)[0]
    return host in ("localhost", "127.0.0.1", "[::1]")


def webhooks_problems(document: dict[str, Any]) -> list[str]:
    """Return how a webhooks-hsmeta.json departs from HubSpot's reference (nothing when it conforms)."""
    problems = _component_problems(document, "webhooks")
    settings = document.get("config", {}).get("settings", {})
    if not re.fullmatch(r"https://[^/\s]+(/\S*)?", str(settings.get("targetUrl"))):
        problems.append("config.settings.targetUrl: a public https URL")
    concurrent = settings.get("maxConcurrentRequests")
    if not isinstance(concurrent, int) or isinstance(concurrent, bool) or concurrent < 1:
        problems.append("config.settings.maxConcurrentRequests: a positive whole number")
    subscriptions = document.get("config", {}).get("subscriptions")
    if not isinstance(subscriptions, dict) or set(subscriptions) - {"crmObjects", "legacyCrmObjects", "hubEvents"}:
        return [*problems, "config.subscriptions: an object of crmObjects, legacyCrmObjects, hubEvents"]
    for array, entries in subscriptions.items():
        problems += [f"{array}[{i}]: {p}" for i, entry in enumerate(entries) for p in _entry_problems(array, entry)]
    return problems


def _component_problems(document: dict[str, Any], kind: str) -> list[str]:
    problems = [f"top-level field {field!r}" for field in set(document) - {"uid", "type", "config"}]
    if not UID.fullmatch(str(document.get("uid"))):
        problems.append("uid: 1 to 64 letters, digits, _, - or .")
    if document.get("type") != kind:
        problems.append(f"type: {kind}")
    return problems


def _entry_problems(array: str, entry: dict[str, Any]) -> list[str]:
    kind = entry.get("subscriptionType")
    allowed = {"crmObjects": GENERIC_TYPES, "legacyCrmObjects": CLASSIC_TYPES - HUB_EVENTS, "hubEvents": HUB_EVENTS}
    problems = [] if kind in allowed[array] else [f"subscriptionType {kind!r} does not belong in {array}"]
    problems += [f"field {field!r}" for field in set(entry) - {"subscriptionType", "objectType", "propertyName",
                                                                "active"}]  # fmt: skip
    if not isinstance(entry.get("active"), bool):
        problems.append("active: true or false")
    if (array == "crmObjects") != isinstance(entry.get("objectType"), str):
        problems.append("objectType: required in crmObjects, and only there")
    if str(kind).endswith(".propertyChange") != isinstance(entry.get("propertyName"), str):
        problems.append("propertyName: required for a property change, and only there")
    return problems


@pytest.fixture
def files() -> dict[str, dict[str, Any]]:
    config = load_configuration(ROOT / "config")
    built = project_files(AppProject("Leadflow", "https://leadflow.example.com", features_of(config)))
    return {path: json.loads(text) for path, text in built.items()}


def test_the_built_app_and_webhooks_components_follow_hubspots_reference(files: dict[str, dict[str, Any]]) -> None:
    assert app_problems(files["src/app/app-hsmeta.json"]) == []
    assert webhooks_problems(files["src/app/webhooks/webhooks-hsmeta.json"]) == []


def test_the_reference_checks_find_what_hubspot_would_refuse(files: dict[str, dict[str, Any]]) -> None:
    app = files["src/app/app-hsmeta.json"]
    app["config"]["distribution"] = "marketplace"
    app["config"]["auth"]["redirectUrls"] = ["https://example.com"]
    app["config"]["permittedUrls"]["fetch"] += ["http://leadflow.example.com", "https://localhost:8443"]
    assert app_problems(app) == [
        "config.auth.type: a marketplace app uses oauth",
        "config.auth.redirectUrls: only for oauth",
        "config.permittedUrls.fetch: 'http://leadflow.example.com' is not an https URL other than localhost",
        "config.permittedUrls.fetch: 'https://localhost:8443' is not an https URL other than localhost",
    ]
    webhooks = files["src/app/webhooks/webhooks-hsmeta.json"]
    arrays = webhooks["config"]["subscriptions"]
    arrays["hubEvents"].append({"subscriptionType": "contact.creation", "active": True})
    del arrays["crmObjects"][0]["objectType"]
    arrays["legacyCrmObjects"][0]["propertyName"] = "name"
    assert webhooks_problems(webhooks) == [
        "crmObjects[0]: objectType: required in crmObjects, and only there",
        "hubEvents[1]: subscriptionType 'contact.creation' does not belong in hubEvents",
        "legacyCrmObjects[0]: propertyName: required for a property change, and only there",
    ]
