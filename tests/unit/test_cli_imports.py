"""The production command line loads without the bench or the twin: they are imported by the commands using them."""

from __future__ import annotations

import subprocess
import sys

CHECK = "import app.cli, sys; print(sorted(m for m in sys.modules if m.startswith(('bench', 'hubspot_twin'))))"


def test_importing_the_cli_imports_neither_the_bench_nor_the_twin() -> None:
    # A fresh interpreter: this test process has imported both long before.
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
