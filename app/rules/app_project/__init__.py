"""The HubSpot developer project Leadflow installs as: its scopes and its webhook subscriptions, derived from the
configuration (never kept by hand), and the project's files as text. Pure: `app/app_build_report.py` writes them."""

from __future__ import annotations

from app.rules.app_project.features import Features, features_of
from app.rules.app_project.project import PLATFORM_VERSION, AppProject, project_files
from app.rules.app_project.scopes import METHOD_ACCESS, required_scopes
from app.rules.app_project.webhooks import webhooks_config

__all__ = [
    "METHOD_ACCESS",
    "PLATFORM_VERSION",
    "AppProject",
    "Features",
    "features_of",
    "project_files",
    "required_scopes",
    "webhooks_config",
]
