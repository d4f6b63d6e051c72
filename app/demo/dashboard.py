"""The demo's dashboard: a static snapshot of `/dashboard` over the demo's months (`demo-dashboard.html`, one
self-contained file a person can open), and `leadflow demo --serve`, the live dashboard on the demo's data.

Both go through the real web app (`create_app`) with a token made for this run, so the snapshot is exactly the
page `leadflow web` serves: the same template, SVG and figures. The snapshot drops what only works when served:
the SLA panel's refresh script, and the period picker with the downloads (which carry the run's token).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from flask import Flask
from pydantic import SecretStr
from werkzeug.serving import BaseWSGIServer, make_server

from app import create_app
from app.bootstrap import Container
from app.rules.kpis import format_instant

# What only works when served: the SLA panel's refresh (its script and source), the period picker and the
# downloads (they ask the server, with the run's token).
SERVED_ONLY = re.compile(
    r"<script\b.*?</script>|<form\b[^>]*id=\"picker\".*?</form>| data-src=\"[^\"]*\"", re.DOTALL | re.IGNORECASE
)


def dashboard_app(container: Container) -> tuple[Flask, str]:
    """Return the web app over the container with a dashboard token made for this run, and the token."""
    token = secrets.token_urlsafe(24)
    settings = container.settings.model_copy(update={"dashboard_token": SecretStr(token)})
    return create_app(container=container, settings=settings), token


def write_snapshot(container: Container, window: tuple[datetime, datetime, datetime], path: Path) -> Path:
    """Render the dashboard of `window` (from, to, as of) and write it to `path` as one self-contained file."""
    app, token = dashboard_app(container)
    window_from, window_to, as_of = (format_instant(moment) for moment in window)
    query = {"from": window_from, "to": window_to, "as_of": as_of, "token": token}
    response = app.test_client().get("/dashboard", query_string=query)
    if response.status_code != 200:
        raise RuntimeError(f"the dashboard answered {response.status_code}: {response.get_data(as_text=True)[:200]}")
    page = SERVED_ONLY.sub("", response.get_data(as_text=True))
    if token in page:
        raise RuntimeError("the snapshot would hold the run's dashboard token")
    path.write_text(page, encoding="utf-8")
    return path


def dashboard_server(container: Container, port: int, query: str) -> tuple[BaseWSGIServer, str]:
    """Return a server of the web app on 127.0.0.1:`port` (0: any free one), not started, and its dashboard's URL."""
    app, token = dashboard_app(container)
    server = make_server("127.0.0.1", port, app, threaded=True)
    return server, f"http://127.0.0.1:{server.port}/dashboard?{query}&token={token}"


def serve_dashboard(container: Container, port: int, echo: Callable[[str], None], query: str) -> None:
    """Serve the web app (the dashboard included) on 127.0.0.1:`port` until interrupted (Ctrl-C)."""
    server, url = dashboard_server(container, port, query)
    echo(f"\nThe dashboard on the demo's data: {url}")
    echo("(Ctrl-C stops it and ends the demo.)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        echo("stopped")
    finally:
        server.server_close()
