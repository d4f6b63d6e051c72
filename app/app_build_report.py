"""What `leadflow app build` does: build the HubSpot developer project from the configuration and write it.

The project (docs/hubspot-app.md) is derived, never kept by hand: `app/rules/app_project` computes its files from
the configuration and PUBLIC_URL; this module only writes them and says what comes next.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from app.rules.app_project import AppProject, features_of, project_files
from app.rules.app_project.project import AppProjectError
from app.rules.configuration import Configuration

NEXT_STEPS = (
    "Next:",
    "  1. cd {out} && hs project upload   (HubSpot's CLI, after hs account auth; then install the app in the portal)",
    "  2. set HUBSPOT_ACCESS_TOKEN, HUBSPOT_CLIENT_SECRET and HUBSPOT_APP_ID from the app's Auth page",
    "  3. leadflow setup",
    "  4. start the processes of the Procfile: web, worker(s), exactly one clock",
)


CARD_SOURCES = "ui"  # app/card/ui: the card's React source, written into the project as it is
NAMES = {"name": "--name", "public_url": "PUBLIC_URL"}  # what the user sets, by the project's input


class AppBuildError(Exception):
    """The project cannot be built or written; the message names the variable, option or path to fix."""


def build_project(config: Configuration, public_url: str | None, name: str) -> dict[str, str]:
    """Return the project's files for `config`, or raise `AppBuildError` naming PUBLIC_URL or --name."""
    if public_url is None:
        raise AppBuildError("PUBLIC_URL is not set: it is the https URL HubSpot delivers Leadflow's webhooks to")
    try:
        return project_files(AppProject(name, public_url, features_of(config)), card_sources())
    except AppProjectError as exc:
        raise AppBuildError(f"{NAMES[exc.subject]}: {exc}") from None


def card_sources() -> dict[str, str]:
    """Return the contact card's TypeScript sources (app/card/ui/, shipped in the package) by file name."""
    folder = resources.files("app.card").joinpath(CARD_SOURCES)
    return {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith((".ts", ".tsx"))
    }


def write_project(files: Mapping[str, str], out: Path) -> list[Path]:
    """Write the files under `out` (created when missing); return their paths, or raise `AppBuildError`."""
    written = []
    try:
        for relative, text in sorted(files.items()):
            path = out / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise AppBuildError(f"--out {out}: cannot write the project there ({exc.strerror or exc})") from None
    return written


def report_lines(written: list[Path], out: Path) -> list[str]:
    """Return what `app build` prints: the files it wrote, then the next steps."""
    return [*(f"wrote {path}" for path in written), "", *(step.format(out=out) for step in NEXT_STEPS)]
