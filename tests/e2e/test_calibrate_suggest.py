"""`leadflow calibrate --suggest` on a ledger the real drain filled: signed webhooks into Leadflow's web app, the
drains run as RQ jobs on a real Redis, the twin over HTTP with the official SDK, on SQLite and PostgreSQL.

40 leads, all decision makers at a machinery company who download the whitepaper and request a demo (MQL). Half
of them opened the newsletter before — an event the shipped model weighs 0 — and sales accept exactly those, but
for one lead each way. Half of them, independently, are in the DACH market (15 points): a rule that predicts
nothing here. The suggestion gives the newsletter open points, pulls DACH down, and shows the expected effect.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import yaml

from app import create_app
from app.bootstrap import Container, build_container
from app.rules import load_scoring_model
from app.rules.calibration.outcomes import Horizon, Window
from app.rules.calibration.suggestions import Suggestion
from app.sync.calibration.regression import logistic_fitter
from app.sync.calibration.suggest import SuggestContext, SuggestRequest, expected_effect, propose, run_suggestions
from app.sync.hubspot.sdk import SdkGateway
from app.sync.setup import run_setup
from app.workers import ThreadWorker
from hubspot_twin import Twin, TwinServer
from hubspot_twin.simulator.portal import SALES_TEAM
from hubspot_twin.webhooks.handmade import EventFactory, deliver
from tests.conftest import REDIS_URL
from tests.e2e.conftest import FAST_RETRIES
from tests.support.app import ACCESS_TOKEN, CLIENT_SECRET, command_env, make_settings
from tests.support.processes import describe, run_command

ROOT = Path(__file__).resolve().parents[2]
LEADFLOW = str(Path(__import__("sys").prefix) / "bin" / "leadflow")
FORMS = ("Whitepaper: OEE in practice", "Request a demo")  # 5 + 10 = 15 engagement: an MQL with fit >= 40
LEADS = 40
NOISE = frozenset({6, 11})  # sales answer these against the planted effect
PER_DRAIN = 4  # leads per drain: ten MQL moments, so the newest quarter held out is the last drains' leads


@dataclass
class Filled:
    container: Container
    server_url: str

    def context(self) -> SuggestContext:
        return self.container.provide(SuggestContext)


def lead_events(events: EventFactory, twin: Twin, index: int) -> tuple[str, list[dict[str, str]]]:
    """A decision maker at a machinery company; in DACH when `index % 4 < 2`; opens the newsletter when even."""
    country = "Germany" if index % 4 < 2 else "France"
    contact = {"firstname": "A", "lastname": f"L{index}", "company": "C", "hs_buying_role": "DECISION_MAKER",
               "email": f"lead{index}@firma{index}.example", "country": country}  # fmt: skip
    contact_id = twin.create_object("contacts", contact)
    company_id = twin.create_object("companies", {"name": f"Firma {index}", "industry": "MACHINERY",
                                                  "numberofemployees": "250", "country": country})  # fmt: skip
    twin.associate("contacts", contact_id, "companies", company_id, primary=True)
    found = [events.creation("contact", contact_id)]
    if index % 2 == 0:
        opened = str(int(time.time() * 1000))
        twin.update_object("contacts", contact_id, {"hs_email_last_open_date": opened}, system=True)
        found.append(events.property_change("contact", contact_id, "hs_email_last_open_date", opened, source="EMAIL"))
    for count, name in enumerate(FORMS, start=1):
        time.sleep(0.002)
        submitted = {"recent_conversion_event_name": name, "recent_conversion_date": str(int(time.time() * 1000)),
                     "num_conversion_events": str(count)}  # fmt: skip
        twin.update_object("contacts", contact_id, submitted, system=True)
        found += [events.property_change("contact", contact_id, k, v, source="FORM") for k, v in submitted.items()]
    return contact_id, found


@pytest.fixture
def filled(twin: tuple[Twin, TwinServer], ledger_url: str, redis_client: redis.Redis) -> Iterator[Filled]:
    hubspot, server = twin
    for name, email, team, _ in SALES_TEAM:
        hubspot.create_owner(email, *name.split(" ", 1), teams=[team])
    container = build_container(
        make_settings(ledger_url, hubspot_api_base=server.url, leadflow_config=ROOT / "config"),
        redis=redis_client,
        gateway_factory=lambda: SdkGateway(ACCESS_TOKEN, server.url, (2.0, 10.0), FAST_RETRIES),
    )
    run_setup(container.gateway(), container.ledger, container.model, container.clock, nurture=container.nurture_config)
    events = EventFactory(app_id=4242)
    with TwinServer(create_app(container=container)).start() as web:
        url = f"{web.url}/webhooks/hubspot"
        leads = []
        for index in range(LEADS):
            contact_id, found = lead_events(events, hubspot, index)
            assert deliver(url, found, CLIENT_SECRET).status == 204
            leads.append(contact_id)
            if index % PER_DRAIN == PER_DRAIN - 1:
                ThreadWorker(container).work(burst=True, logging_level="WARNING")
        answers = []
        for index, contact_id in enumerate(leads):
            accepted = (index % 2 == 0) != (index in NOISE)
            status = "CONNECTED" if accepted else "UNQUALIFIED"
            hubspot.update_object("contacts", contact_id, {"hs_lead_status": status})
            answers.append(events.property_change("contact", contact_id, "hs_lead_status", status))
        assert deliver(url, answers, CLIENT_SECRET).status == 204
        ThreadWorker(container).work(burst=True, logging_level="WARNING")
        yield Filled(container, server.url)
    container.ledger.engine.dispose()


def test_the_planted_event_gains_points_and_the_useless_rule_is_pulled_down(filled: Filled) -> None:
    ctx = filled.context()
    now = datetime.now(UTC) + timedelta(seconds=1)
    request = SuggestRequest(Window(), Horizon(now), "accepted", logistic_fitter())
    advice = run_suggestions(ctx, request, page_size=7)
    assert (advice.cycles, advice.pending, advice.rows) == (LEADS, 0, LEADS)
    lifts = {lift.feature.id: lift for lift in advice.lifts}
    opened = lifts["newsletter_open"]
    assert (opened.having.part, opened.having.whole, opened.lacking.part, opened.lacking.whole) == (19, 20, 1, 20)
    assert lifts["dach"].having.whole == 20 and lifts["target-industry"].lacking.whole == 0
    suggestion = advice.suggestion
    assert isinstance(suggestion, Suggestion)
    assert (suggestion.holdout.training, suggestion.holdout.held_out) == (30, 10)
    rules = {rule.feature.id: rule for rule in suggestion.rules}
    assert rules["newsletter_open"].points > 0 and not rules["newsletter_open"].flip
    assert rules["dach"].enough and rules["dach"].points < 15
    assert not rules["decision-maker"].enough and rules["decision-maker"].points == 30  # every lead has it: kept
    holdout = suggestion.holdout
    assert holdout.fitted.value == 1  # the newest ten: the open tells every answer, as it was planted
    assert holdout.current.value is not None and holdout.suggested.value is not None
    assert holdout.current.value < holdout.suggested.value  # the suggested points rank the newest leads better

    proposal = propose(ctx, advice, now)
    assert proposal is not None and proposal.model.startswith(f"{ctx.backtest.model.model}-suggested-")
    assert "-    newsletter_open:     {label: Newsletter open, points: 0}" in proposal.diff
    proposal = expected_effect(ctx, proposal, request.window, request.horizon)
    report = proposal.backtest
    assert report is not None and report.contacts == LEADS
    assert report.current.qualified == LEADS  # every lead is an MQL under the current model


def test_the_command_prints_the_suggestion_writes_it_and_never_touches_the_running_model(
    filled: Filled, ledger_url: str, tmp_path: Path
) -> None:
    env = command_env(tmp_path, ledger_url, filled.server_url, REDIS_URL, "leadflow-suggest-cli")
    target = tmp_path / "suggested.yaml"
    result = run_command([LEADFLOW, "calibrate", "--suggest", "--outcome", "accepted", "--write", str(target),
                          "--json"], env, tmp_path)  # fmt: skip
    assert result.returncode == 0, describe(result)
    document = json.loads(result.stdout)
    rules = {rule["id"]: rule for rule in document["suggestion"]["rules"]}
    assert rules["newsletter_open"]["suggested"] > 0 and rules["dach"]["suggested"] < 15
    proposal = document["proposal"]
    assert proposal["written"] == str(target)
    written = load_scoring_model(target)  # the config loader takes it
    assert written.model == proposal["model"] and yaml.safe_load(target.read_text())["model"] == proposal["model"]
    assert proposal["backtest"]["models"] == {"current": document["model"], "candidate": proposal["model"]}
    assert proposal["backtest"]["totals"]["current"]["qualified"] == LEADS

    text = run_command([LEADFLOW, "calibrate", "--suggest"], env, tmp_path)  # won: no cycle has matured yet
    assert text.returncode == 0, describe(text)
    assert "won: too few outcomes to conclude: 0 positive(s) and 0 negative(s)" in text.stdout
    assert "no suggestion: too few outcomes to fit a model to (the lifts above are all there is)" in text.stdout

    running = ROOT / "config" / "scoring.yaml"
    before = running.read_text()
    refused = run_command([LEADFLOW, "calibrate", "--suggest", "--outcome", "accepted", "--write", str(running)],
                          env, tmp_path)  # fmt: skip
    assert refused.returncode == 2, describe(refused)
    assert refused.stderr.startswith(f"Error: --write {running}: that is the running model's file")
    assert "Traceback" not in refused.stderr and running.read_text() == before
