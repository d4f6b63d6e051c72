"""The project's files, as text: `hsproject.json`, the app component and its webhooks component.

HubSpot's references: https://developers.hubspot.com/docs/apps/developer-platform/build-apps/app-configuration (the
project layout and `app-hsmeta.json`) and .../add-features/configure-webhooks (`webhooks-hsmeta.json`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.rules.app_project.features import Features
from app.rules.app_project.scopes import required_scopes
from app.rules.app_project.webhooks import webhooks_config

PLATFORM_VERSION = "2026.03"  # the newest stable version of HubSpot's developer platform
SOURCE_DIR = "src"
APP_UID = "leadflow_app"
WEBHOOKS_UID = "leadflow_webhooks"
CARD_UID = "leadflow_contact_card"
CARD_DIR = f"{SOURCE_DIR}/app/cards"
CARD_ENTRYPOINT = "LeadflowCard.tsx"
# The card's JavaScript dependencies, pinned (HubSpot's UI extensions and the React they render with); the test
# that type-checks and renders the card installs exactly these (tests/integration/test_hubspot_card.py).
CARD_DEPENDENCIES = {"@hubspot/ui-extensions": "0.17.0", "react": "18.3.1"}
CARD_DEV_DEPENDENCIES = {"@types/react": "18.3.32", "typescript": "5.9.3"}
DEFAULT_NAME = "Leadflow"
DESCRIPTION = (
    "Leadflow qualifies B2B leads: it scores contacts on fit and engagement from the portal's own data, writes the "
    "scores, grade and stage back as contact properties, and hands qualified leads to sales with a task and a deal."
)
MAX_NAME = 200  # HubSpot: an app name is at most 200 characters, not starting or ending with whitespace


class AppProjectError(ValueError):
    """An input the project cannot be built from: `subject` is which (`name`, `public_url`), the message says why."""

    def __init__(self, subject: str, problem: str) -> None:
        super().__init__(problem)
        self.subject = subject


@dataclass(frozen=True)
class AppProject:
    """What the project is built from: the app's name, Leadflow's public URL and the configured features."""

    name: str
    public_url: str
    features: Features

    def __post_init__(self) -> None:
        check_name(self.name)
        check_public_url(self.public_url)


def project_files(project: AppProject, card: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return every file of the project, by path relative to the project's directory, as JSON text with sorted
    keys (a rebuild after a configuration change differs exactly where the app does). `card`: the contact card's
    sources by file name (app/card/ui/, read by the entry), which join its component, package and URL file."""
    documents: dict[str, Any] = {
        "hsproject.json": {"name": project.name, "srcDir": SOURCE_DIR, "platformVersion": PLATFORM_VERSION},
        f"{SOURCE_DIR}/app/app-hsmeta.json": app_component(project),
        f"{SOURCE_DIR}/app/webhooks/webhooks-hsmeta.json": {
            "uid": WEBHOOKS_UID,
            "type": "webhooks",
            "config": webhooks_config(project.features.subscriptions, project.public_url),
        },
    }
    if card:
        documents[f"{CARD_DIR}/leadflow-card-hsmeta.json"] = card_component()
        documents[f"{CARD_DIR}/package.json"] = card_package(project.name)
    files = {path: json.dumps(document, indent=2, sort_keys=True) + "\n" for path, document in documents.items()}
    if card:
        files[f"{CARD_DIR}/leadflow.ts"] = card_url_module(project.public_url)
        files.update({f"{CARD_DIR}/{name}": text for name, text in card.items()})
    return files


def card_component() -> dict[str, Any]:
    """Return the card's `*-hsmeta.json`: a tab on the contact record, rendered by `LeadflowCard.tsx`."""
    return {
        "uid": CARD_UID,
        "type": "card",
        "config": {
            "name": "Leadflow",
            "description": "Score, grade, reasons, nurture step and the SLA clock of the handover, with accept/reject.",
            "location": "crm.record.tab",
            "entrypoint": f"/app/cards/{CARD_ENTRYPOINT}",
            "objectTypes": ["contacts"],
        },
    }


def card_package(name: str) -> dict[str, Any]:
    """Return the cards' `package.json` with their pinned dependencies."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "leadflow"
    return {
        "name": f"{slug}-cards",
        "version": "0.1.0",
        "private": True,
        "type": "module",
        "dependencies": dict(CARD_DEPENDENCIES),
        "devDependencies": dict(CARD_DEV_DEPENDENCIES),
    }


def card_url_module(public_url: str) -> str:
    """Return `leadflow.ts`: the URL the card fetches from, PUBLIC_URL (listed in `permittedUrls.fetch`)."""
    return (
        "// Written by `leadflow app build`: Leadflow's PUBLIC_URL, where the card's hubspot.fetch calls go.\n"
        f"export const LEADFLOW_URL = {json.dumps(fetch_url(public_url))};\n"
    )


def app_component(project: AppProject) -> dict[str, Any]:
    """Return `app-hsmeta.json`: a private app with static auth (one portal), exactly the scopes it needs, and
    Leadflow's public URL as the one URL its contact card may fetch."""
    return {
        "uid": APP_UID,
        "type": "app",
        "config": {
            "name": project.name,
            "description": DESCRIPTION,
            "distribution": "private",
            "auth": {
                "type": "static",
                "requiredScopes": list(required_scopes(project.features)),
                "optionalScopes": [],
                "conditionallyRequiredScopes": [],
            },
            "permittedUrls": {"fetch": [fetch_url(project.public_url)], "iframe": [], "img": []},
        },
    }


def fetch_url(public_url: str) -> str:
    """Return the URL the contact card may call with `hubspot.fetch` (docs/contact-card.md): Leadflow's public URL,
    under which its card endpoint lies (`/card/contacts/...`)."""
    return public_url.rstrip("/")


def check_name(name: str) -> None:
    """Refuse a name HubSpot would refuse."""
    if not name or name != name.strip():
        raise AppProjectError("name", f"{name!r}: must not be empty or start or end with whitespace")
    if len(name) > MAX_NAME:
        raise AppProjectError("name", f"{len(name)} characters, HubSpot allows at most {MAX_NAME}")


def check_public_url(url: str) -> None:
    """Refuse a URL HubSpot would not deliver webhooks to: it must be https, with a host."""
    if re.fullmatch(r"https://([^/?#\s]+)(/[^?#\s]*)?", url) is None:
        problem = f"{url!r} is not an https URL with a host: HubSpot delivers webhooks only over https"
        raise AppProjectError("public_url", problem)
