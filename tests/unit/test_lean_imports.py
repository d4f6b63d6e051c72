"""The web app, the workers and the command line load without scikit-learn: only `calibrate --suggest` imports it
(the `calibrate` extra), so web and worker installs stay lean."""

from __future__ import annotations

import subprocess
import sys

MODULES = ("app", "app.webhooks", "app.workers", "app.bootstrap", "worker", "app.cli", "app.suggestion_report",
           "app.sync.calibration.suggest", "app.sync.calibration.regression")  # fmt: skip
CHECK = f"import sys, {', '.join(MODULES)}; print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))"


def test_importing_the_web_app_the_workers_and_the_cli_leaves_scikit_learn_unloaded() -> None:
    # A fresh interpreter: this test process may have imported scikit-learn already.
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_check_sees_scikit_learn_when_it_is_loaded() -> None:
    loaded = CHECK.replace("import sys,", "import sys, sklearn.linear_model,")
    result = subprocess.run([sys.executable, "-c", loaded], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "'sklearn.linear_model'" in result.stdout
