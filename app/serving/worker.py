"""gunicorn's threaded worker, stopping the whole server when the app cannot be built from its configuration.

`create_app` ends with `SystemExit("leadflow: …")` when a setting or a configuration file is invalid. gunicorn
restarts a worker that exits with 1, forever; one that exits with `WORKER_BOOT_ERROR` stops the master. The
master checks the configuration before it forks (`gunicorn_conf.on_starting`), so this only happens when the
configuration broke while gunicorn ran (a reload with SIGHUP, a new worker after a crash).
"""

from __future__ import annotations

import sys

from gunicorn.arbiter import Arbiter
from gunicorn.workers.gthread import ThreadWorker

WORKER_BOOT_ERROR: int = Arbiter.WORKER_BOOT_ERROR  # 3: the master halts instead of booting another worker


class LeadflowWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn is not typed
    """A gthread worker whose configuration errors stop gunicorn (with one line) instead of rebooting the worker."""

    def load_wsgi(self) -> None:
        try:
            super().load_wsgi()
        except SystemExit as exc:
            if not isinstance(exc.code, str):
                raise
            print(exc.code, file=sys.stderr, flush=True)
            raise SystemExit(WORKER_BOOT_ERROR) from None
