"""Installing pinned npm packages for the tests that check Leadflow's output with HubSpot's own JavaScript packages.

The packages go once into an ignored folder under `.cache/`, staged and renamed into place so that two test
processes never see half an install. Without npm, or when npm cannot install them, the test fails and says why:
it is never skipped.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def npm_install(cache: Path, packages: list[str], what: str) -> None:
    """Install `packages` (`name@version`) into `cache` (its `node_modules`), unless another process did first."""
    if shutil.which("npm") is None:
        pytest.fail(f"npm is not installed: it installs {what} (apt-get install -y npm)")
    cache.parent.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=cache.parent, prefix=f"{cache.name}-"))
    command = ["npm", "install", "--prefix", str(staging), "--no-audit", "--no-fund", "--ignore-scripts", *packages]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        pytest.fail(f"npm could not install {what}: {result.stderr.strip()[-300:]}")
    try:
        staging.rename(cache)
    except OSError:  # another test process installed them first
        shutil.rmtree(staging, ignore_errors=True)
