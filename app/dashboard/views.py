"""The dashboard's blueprint: `/dashboard` (the page), `/dashboard/sla` (the SLA panel, an HTML fragment the page
reloads), `/dashboard/kpis.json` and `/dashboard/kpis.csv` (the window's report by week, as shown). The page's
"Last backtest" panel is the newest run recorded, whatever the window (app/dashboard/backtest_panel.py).

Every request is authorized first (app/dashboard/auth.py); without DASHBOARD_USERS or DASHBOARD_TOKEN every answer
is a 403 saying so. Pages are computed once per window and facts read (a minute), then served from memory.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections import OrderedDict
from typing import Any

from flask import Blueprint, Response, g, make_response, render_template, request, url_for

from app.dashboard.auth import DashboardAuth, Verdict
from app.dashboard.backtest_panel import BacktestPanel, backtest_panel
from app.dashboard.page import (
    DashboardPage,
    Window,
    build_page,
    business_responses,
    format_rate,
    nurture_panel,
    parse_window,
    sla_panel,
)
from app.dashboard.sources import DashboardSources, Expiring
from app.rules.calibration.outcomes import OUTCOMES
from app.rules.calibration.table import decimals, outcome_verdict
from app.rules.kpis.business_hours import BusinessResponses
from app.rules.kpis.exports import periods_csv
from app.rules.kpis.nurture import STOPPED, OfferHistories, days_figure
from app.rules.kpis.table import interval, percent
from app.rules.kpis.window_facts import FactIndex

logger = logging.getLogger(__name__)

REALM = 'Basic realm="leadflow-dashboard", charset="UTF-8"'
PAGES_KEPT = 32
SLA_PANEL_TTL_SECONDS = 10.0


class PageCache:
    """The pages computed lately, by window and the generations of the facts and nurture offers they were computed
    from."""

    def __init__(self, sources: DashboardSources) -> None:
        self._sources = sources
        self._pages: OrderedDict[tuple[Window, int, int], DashboardPage] = OrderedDict()
        self._index: tuple[int, FactIndex] | None = None
        self._responses: tuple[int, BusinessResponses | None] | None = None
        self._histories: tuple[int, OfferHistories] | None = None
        self._lock = threading.Lock()

    def page(self, window: Window) -> DashboardPage:
        """Return the page of the window, computing it when the facts changed since or it was never asked for."""
        facts = self._sources.facts()
        generation = self._sources.facts.generation
        offers = self._sources.nurture
        records = None if offers is None else offers()  # the page is computed per generation of offers too
        key = (window, generation, 0 if offers is None else offers.generation)
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
            if self._index is None or self._index[0] != generation:
                self._index = (generation, FactIndex(facts))
            index = self._index[1]
            histories = None
            if offers is not None and records is not None:
                if self._histories is None or self._histories[0] != key[2]:
                    self._histories = (key[2], OfferHistories.of(records))
                histories = self._histories[1]
        clocks = self._sources.all_clocks
        if self._sources.sla is not None:
            clocks()  # read (or start reading again) first: the responses are computed per generation of clocks
        with self._lock:
            if self._responses is None or self._responses[0] != clocks.generation:
                self._responses = (clocks.generation, business_responses(self._sources))
            responses = self._responses[1]
        page = build_page(self._sources, window, index, responses, nurture_panel(self._sources, window, histories))
        with self._lock:
            self._pages[key] = page
            while len(self._pages) > PAGES_KEPT:
                self._pages.popitem(last=False)
        return page


def create_dashboard_blueprint(auth: DashboardAuth, sources: DashboardSources, refresh_seconds: int) -> Blueprint:
    """Return the dashboard's blueprint over `sources`, behind `auth`."""
    blueprint = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates")
    pages = PageCache(sources)
    # The SLA panel reads the open clocks and counts their business minutes: kept a little less than a refresh.
    panel = Expiring(
        lambda: sla_panel(sources), min(SLA_PANEL_TTL_SECONDS, max(0.5, refresh_seconds - 0.5)), background=False
    )
    blueprint.before_request(lambda: _authorize(auth))
    blueprint.after_request(_secure)

    def picked() -> Window | str:
        try:
            return parse_window(request.args, sources.now())
        except ValueError as exc:
            return str(exc)

    def link(endpoint: str, **query: str) -> str:
        token = auth.token_in_query(request)
        values: dict[str, Any] = {**query, **({"token": token} if token else {})}
        return url_for(endpoint, **values)

    @blueprint.get("")
    def dashboard() -> Response:
        window = picked()
        if isinstance(window, str):
            return _html(render_template("dashboard/error.html", message=window, nonce=g.csp_nonce), 400)
        page = pages.page(window)
        return _html(render_template(
            "dashboard/page.html", page=page, panel=panel(), backtest=_last_backtest(sources), link=link,
            rate=format_rate, duration=_duration, refresh_ms=refresh_seconds * 1000, nonce=g.csp_nonce,
            query=window.query(),
            token=auth.token_in_query(request) or "", interval=interval, percent=percent, days=days_figure,
            stopped=STOPPED, outcomes=OUTCOMES, verdict=outcome_verdict, decimals=decimals,
        ))  # fmt: skip

    @blueprint.get("/sla")
    def sla() -> Response:
        return _html(render_template("dashboard/sla.html", panel=panel()))

    @blueprint.get("/kpis.json")
    def kpis_json() -> Response:
        window = picked()
        if isinstance(window, str):
            return _plain(window, 400)
        body = json.dumps(pages.page(window).document, ensure_ascii=False, indent=2)
        return _download(body, "application/json", "leadflow-kpis.json")

    @blueprint.get("/kpis.csv")
    def kpis_csv() -> Response:
        window = picked()
        if isinstance(window, str):
            return _plain(window, 400)
        return _download(periods_csv(pages.page(window).report), "text/csv", "leadflow-kpis.csv")

    return blueprint


def _last_backtest(sources: DashboardSources) -> BacktestPanel | str | None:
    """Return the "Last backtest" panel (None: no backtest recorded, or no ledger to read it from; a string: why the
    newest run's record cannot be shown)."""
    read = sources.last_backtest
    run = None if read is None else read()
    try:
        return backtest_panel(run, sources.now())
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a document of another shape: an older version's
        logger.warning("dashboard.backtest-unreadable", extra={"backtest": run.id if run else None, "error": repr(exc)})
        return "The newest backtest recorded cannot be shown (its record has another shape)"


def _authorize(auth: DashboardAuth) -> Response | None:
    """Return the refusal for a request that may not see the dashboard, or None to let it through."""
    g.csp_nonce = secrets.token_urlsafe(16)
    if not auth.enabled:
        logger.warning("dashboard.disabled", extra={"path": request.path, "status": 403})
        return _plain("The dashboard is off: set DASHBOARD_USERS or DASHBOARD_TOKEN to enable it (docs/dashboard.md).",
                      403)  # fmt: skip
    verdict = auth.verdict(request)
    if verdict is Verdict.ALLOWED:
        return None
    logger.warning(f"dashboard.{verdict.value}-credentials", extra={"path": request.path, "status": 401})
    response = _plain("Log in with a DASHBOARD_USERS account, or send DASHBOARD_TOKEN.", 401)
    response.headers["WWW-Authenticate"] = REALM
    return response


def _secure(response: Response) -> Response:
    """Forbid every outside resource and framing; nothing of the dashboard is cached by the browser or a proxy."""
    nonce = g.get("csp_nonce", "")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _html(body: str, status: int = 200) -> Response:
    response = make_response(body, status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    return response


def _plain(text: str, status: int) -> Response:
    response = make_response(text + "\n", status)
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    return response


def _download(body: str, content_type: str, filename: str) -> Response:
    response = make_response(body)
    response.headers["Content-Type"] = f"{content_type}; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _duration(seconds: Any) -> str:
    """Return whole seconds as `2 h 05 min`, `12 min 30 s` or `45 s` (`–` for none)."""
    if seconds is None:
        return "–"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 48:
        return f"{hours / 24:.1f} d"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"
