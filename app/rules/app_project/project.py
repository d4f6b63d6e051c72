"""The project's files, as text: `hsproject.json`, the app component and its webhooks component.

HubSpot's references: https://developers.hubspot.com/docs/apps/developer-platform/build-apps/app-configuration (the
project layout and `app-hsmeta.json`) and .../add-features/configure-webhooks (`webhooks-hsmeta.json`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from app.rules.app_project.features import Features
from app.rules.app_project.scopes import required_scopes
from app.rules.app_project.webhooks import webhooks_config

PLATFORM_VERSION = "2026.03"  # the newest stable version of HubSpot's developer platform
SOURCE_DIR = "src"
APP_UID = "leadflow_app"
WEBHOOKS_UID = "leadflow_webhooks"
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


def project_files(project: AppProject) -> dict[str, str]:
    """Return every file of the project, by path relative to the project's directory, as JSON text with sorted
    keys (a rebuild after a configuration change differs exactly where the app does)."""
    documents: dict[str, Any] = {
        "hsproject.json": {"name": project.name, "srcDir": SOURCE_DIR, "platformVersion": PLATFORM_VERSION},
        f"{SOURCE_DIR}/app/app-hsmeta.json": app_component(project),
        f"{SOURCE_DIR}/app/webhooks/webhooks-hsmeta.json": {
            "uid": WEBHOOKS_UID,
            "type": "webhooks",
            "config": webhooks_config(project.features.subscriptions, project.public_url),
        },
    }
    return {path: json.dumps(document, indent=2, sort_keys=True) + "\n" for path, document in documents.items()}


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
