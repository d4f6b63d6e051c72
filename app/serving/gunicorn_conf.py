"""gunicorn's settings for the web process: `gunicorn --config python:app.serving.gunicorn_conf` (the Procfile's).

- The master checks the settings and the configuration files before it binds the port or forks a worker, and
  again before a reload (SIGHUP) forks new ones: an invalid one stops gunicorn with one line (`leadflow: …`),
  instead of workers failing to boot every second.
- Threaded workers (`LeadflowWorker`, gunicorn's gthread): a slow or stuck client holds one of a worker's
  `threads`, never the worker, and its body read ends after `app.serving.body.BODY_READ_SECONDS`.
- gunicorn's own log lines are JSON lines like the app's; its access log stays off (the app logs each webhook).

gunicorn reads the settings from this module's names; the Procfile still sets `--workers` and `--bind`.
"""

from __future__ import annotations

import sys
from typing import Any

from gunicorn.errors import HaltServer

from app.serving.preflight import configuration_problem

worker_class = "app.serving.worker.LeadflowWorker"
# Threads per worker: each slow or stuck client holds one for at most BODY_READ_SECONDS, so two workers serve
# signed webhooks on time alongside a dozen such clients.
threads = 16

_JSON_TO_STDERR = ["stderr"]
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "app.logs.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"level": "INFO", "handlers": _JSON_TO_STDERR},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": _JSON_TO_STDERR, "propagate": False},
        "gunicorn.access": {"level": "WARNING", "handlers": _JSON_TO_STDERR, "propagate": False},
    },
}


def on_starting(_server: object) -> None:
    """Stop gunicorn with one line, before it binds or forks, when a setting or a configuration file is invalid."""
    problem = configuration_problem()
    if problem is not None:
        raise SystemExit(f"leadflow: {problem}")


def on_reload(_server: object) -> None:
    """Stop gunicorn with one line, before a reload forks new workers, when the configuration has become invalid."""
    problem = configuration_problem()
    if problem is not None:
        # Halting stops the old workers too; new ones failing together would halt twice (a traceback in gunicorn).
        print(f"leadflow: {problem}", file=sys.stderr, flush=True)
        raise HaltServer("invalid configuration", 1)
