"""What `leadflow doctor` does: read the built project's webhooks (with --project), run the checks, print them.

The checks are `app/sync/doctor`'s, their judgements `app/rules/doctor`'s; this module only reads the project file
and turns the report into text or JSON and an exit status (0 healthy, 1 when any check failed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.rules.app_project.project import SOURCE_DIR

WEBHOOKS_FILE = f"{SOURCE_DIR}/app/webhooks/webhooks-hsmeta.json"  # where `leadflow app build` writes them


class ProjectUnreadable(Exception):
    """The --project directory holds no readable webhooks component; the message names the file and the problem."""


def read_project_webhooks(project: Path) -> dict[str, Any]:
    """Return the `config` of the project's webhooks component, or raise `ProjectUnreadable`."""
    path = project / WEBHOOKS_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectUnreadable(
            f"--project {project}: {path} does not exist (is it `leadflow app build`'s output?)"
        ) from None
    except (OSError, ValueError) as exc:
        raise ProjectUnreadable(f"--project {project}: {path} cannot be read as JSON ({exc})") from None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise ProjectUnreadable(f"--project {project}: {path} has no `config` object")
    return config
