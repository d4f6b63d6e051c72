"""`leadflow backtest` on a ledger the real drain filled: signed webhooks into Leadflow's web app, the drains run
as RQ jobs by a worker on a real Redis, the twin over HTTP with the official SDK, on SQLite and PostgreSQL.

Three leads: a buyer sales accepted, a lead sales rejected, and a free-mail tire-kicker who never qualified. The
candidate is the shipped model with every weight inverted: the backtest shows it worse on the known outcomes. And
the consistency the issue asks for: every replayed stage equals `leadflow assess --at` that moment, on the values
HubSpot's history says the contact and its company had then (read from the twin's own store, not rebuilt as the
backtest rebuilds them), and the ledger's engagements.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from app import create_app
from app.bootstrap import Container, build_container
from app.rules import EngagementEvent, ScoringModel, assess_line, load_scoring_model
from app.rules.calibration.backtest import BacktestWindow, replay_start
from app.rules.calibration.backtest_document import backtest_document
from app.rules.calibration.outcomes import Horizon
from app.rules.calibration.replay import replay_contact
from app.sync.calibration.backtest import BacktestContext, property_names, replay_contacts, run_backtest
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
FORMS = ("Whitepaper: OEE in practice", "Request a demo")  # 5 + 10 = 15 engagement
MACHINERY = {"industry": "MACHINERY", "numberofemployees": "250"}
MICROSECOND = timedelta(microseconds=1)
ZERO = timedelta(0)


@dataclass
class Portal:
    twin: Twin
    container: Container
    webhook_url: str
    events: EventFactory

    def lead(self, contact: dict[str, str], company: dict[str, str]) -> str:
        """A contact at a company who submits the two forms, told by HubSpot's webhooks; the worker scores."""
        contact_id = self.twin.create_object("contacts", contact)
        company_id = self.twin.create_object("companies", company)
        self.twin.associate("contacts", contact_id, "companies", company_id, primary=True)
        events = [self.events.creation("contact", contact_id)]
        for count, name in enumerate(FORMS, start=1):
            time.sleep(0.002)
            submitted = {"recent_conversion_event_name": name, "recent_conversion_date": str(int(time.time() * 1000)),
                         "num_conversion_events": str(count)}  # fmt: skip
            self.twin.update_object("contacts", contact_id, submitted, system=True)
            events += [
                self.events.property_change("contact", contact_id, k, v, source="FORM") for k, v in submitted.items()
            ]
        assert deliver(self.webhook_url, events, CLIENT_SECRET).status == 204
        self.work()
        return contact_id

    def answer(self, contact_id: str, lead_status: str) -> None:
        """Sales answer the handover by the lead status, as a rep does in HubSpot."""
        self.twin.update_object("contacts", contact_id, {"hs_lead_status": lead_status})
        change = self.events.property_change("contact", contact_id, "hs_lead_status", lead_status)
        assert deliver(self.webhook_url, [change], CLIENT_SECRET).status == 204
        self.work()

    def work(self) -> None:
        ThreadWorker(self.container).work(burst=True, logging_level="WARNING")

    def context(self) -> BacktestContext:
        c = self.container
        return BacktestContext(c.ledger, c.gateway, c.model, c.handover_config, c.routing_config)


@dataclass
class Filled:
    portal: Portal
    buyer: str
    rejected: str
    kicker: str
    server_url: str


@pytest.fixture
def filled(twin: tuple[Twin, TwinServer], ledger_url: str, redis_client: redis.Redis) -> Iterator[Filled]:
    hubspot, server = twin
    for name, email, team, _ in SALES_TEAM:
        hubspot.create_owner(email, *name.split(" ", 1), teams=[team])
    container = build_container(
        make_settings(ledger_url, hubspot_api_base=server.url),
        redis=redis_client,
        gateway_factory=lambda: SdkGateway(ACCESS_TOKEN, server.url, (2.0, 10.0), FAST_RETRIES),
    )
    run_setup(container.gateway(), container.ledger, container.model, container.clock, nurture=container.nurture_config)
    with TwinServer(create_app(container=container)).start() as web:
        portal = Portal(hubspot, container, f"{web.url}/webhooks/hubspot", EventFactory(app_id=4242))
        person = {"firstname": "A", "lastname": "B", "company": "C", "hs_buying_role": "DECISION_MAKER"}
        buyer = portal.lead({**person, "email": "anna@kessler.de", "country": "Germany"},
                            {"name": "Kessler", "country": "Germany", **MACHINERY})  # fmt: skip
        rejected = portal.lead({**person, "email": "sam@acme.fr", "country": "France"},
                               {"name": "Acme", "country": "France", **MACHINERY})  # fmt: skip
        kicker = portal.lead({"email": "kicker@gmail.com", "country": "Germany"},
                             {"name": "Shop", "industry": "RETAIL", "numberofemployees": "5"})  # fmt: skip
        portal.answer(buyer, "CONNECTED")
        portal.answer(rejected, "UNQUALIFIED")
        yield Filled(portal, buyer, rejected, kicker, server.url)
    container.ledger.engine.dispose()


def inverted(tmp_path: Path) -> Path:
    """The shipped scoring.yaml with every weight's sign turned: a deliberately bad candidate."""
    text = (ROOT / "config" / "scoring.yaml").read_text()
    text = re.sub(r"points: (-?)(\d+)", lambda m: f"points: {'' if m.group(1) else '-'}{m.group(2)}", text)
    text = re.sub(r"^model: \S+", "model: inverted-weights", text, flags=re.MULTILINE)
    path = tmp_path / "candidate.yaml"
    path.write_text(text)
    return path


def test_the_inverted_candidate_is_shown_worse_on_the_known_outcomes(filled: Filled, tmp_path: Path) -> None:
    portal = filled.portal
    candidate = load_scoring_model(inverted(tmp_path))
    now = datetime.now(UTC) + timedelta(seconds=1)
    report = run_backtest(portal.context(), candidate, BacktestWindow(None, now), Horizon(now), page_size=2)
    assert (report.contacts, report.handed_over) == (3, 2)
    current, bad = report.current, report.candidate
    assert (current.mqls, current.qualified, current.with_outcome, current.never_handed_over) == (2, 2, 2, 0)
    assert (bad.mqls, bad.qualified) == (0, 0)
    assert dict(current.handovers) == {"dach-team": 1, "international-team": 1} and not bad.handovers
    assert (current.outcomes["accepted"].positives, current.outcomes["accepted"].negatives) == (1, 1)
    assert report.known_positives["accepted"] == 1
    document = backtest_document(report)
    captured = {w: document["outcomes"][w]["accepted"]["captured"]["rate"] for w in ("current", "candidate")}
    assert captured == {"current": 1.0, "candidate": 0.0}  # worse: it would have handed sales none of its buyers
    assert sorted((m["contact"], m["stage"]) for m in document["lost"]) == sorted(
        [(filled.buyer, "mql"), (filled.rejected, "mql")]
    )
    assert document["gained"] == []
    earliest = {e["contact"]: (e["current"] is not None, e["candidate"]) for e in document["earliest"]}
    assert earliest == {filled.buyer: (True, None), filled.rejected: (True, None)}
    assert report.todays_values == 0  # every value read comes with HubSpot's history


def test_every_replayed_stage_is_leadflow_assess_at_that_moment(filled: Filled, tmp_path: Path) -> None:
    portal = filled.portal
    ledger, gateway = portal.container.ledger, portal.container.gateway()
    models = (portal.container.model, load_scoring_model(inverted(tmp_path)))
    names = property_names(*models, portal.container.routing_config)
    page = [filled.buyer, filled.rejected, filled.kicker]
    twin = portal.twin  # values change after the MQLs: the replay must follow HubSpot's history, not today's values
    twin.update_object("companies", twin.primary_company_id(filled.buyer) or "", {"numberofemployees": "5"})
    twin.update_object("contacts", filled.kicker, {"email": "kicker@kessler.de", "hs_buying_role": "DECISION_MAKER"})
    end = datetime.now(UTC) + timedelta(days=400)  # decay and windows take the MQLs out again
    window = BacktestWindow(None, end)
    events = ledger.contacts.engagements_of(page)
    stages: dict[str, list[str | None]] = {}
    for contact in replay_contacts(ledger, gateway, names, page):
        for model in models:
            start = replay_start(contact, window)
            timeline = replay_contact(model, contact, start, end)
            moments = [start + (end - start) * k / 50 for k in range(50)]
            moments += [m for c in timeline.changes for m in (c.at - MICROSECOND, c.at)]
            moments += [
                at - delta for at in recorded_at(portal.twin, contact.contact_id) for delta in (MICROSECOND, ZERO)
            ]
            for moment in moments:
                said = assess_at(portal.twin, model, names, contact.contact_id, events[contact.contact_id], moment)
                assert timeline.stage_at(moment) == said, (contact.contact_id, moment)
            stages[f"{model.model}:{contact.contact_id}"] = [c.after for c in timeline.changes]
    current = portal.container.model.model
    assert stages[f"{current}:{filled.buyer}"][:2] == ["mql", None]  # out at the company's shrinking
    assert stages[f"{current}:{filled.kicker}"] == ["mql", None]  # in once a decision maker off free mail, then decays


def assess_at(
    twin: Twin,
    model: ScoringModel,
    names: tuple[list[str], list[str]],
    contact_id: str,
    events: list[EngagementEvent],
    moment: datetime,
) -> str | None:
    """What `leadflow assess --at moment` says (the command's own code) of the contact at that moment: its values and
    its company's as the twin's own store holds their history — not as the backtest read and rebuilt them — and the
    engagements the ledger recorded."""
    company_id = twin.primary_company_id(contact_id)
    line = {
        "id": contact_id,
        "contact": values_at(twin, "contacts", contact_id, names[0], moment),
        "company": values_at(twin, "companies", company_id, names[1], moment) if company_id else {},
        "events": [{"type": e.type, "occurred_at": e.occurred_at.isoformat()} for e in events],
    }
    output, ok = assess_line(model, json.dumps(line), moment)
    assert ok, output
    stage: str | None = output["stage"]
    return stage


def values_at(twin: Twin, object_type: str, object_id: str, names: list[str], moment: datetime) -> dict[str, str]:
    """The values the object held at `moment` by the twin's property histories (an empty value is no value)."""
    values: dict[str, str] = {}
    for name in names:
        held = [value for at, value in twin.history(object_type, object_id, name) if twin_time(at) <= moment]
        if held and held[-1]:
            values[name] = held[-1]
    return values


def recorded_at(twin: Twin, contact_id: str) -> set[datetime]:
    """Every moment the twin recorded a value of the contact: where a replay's values change."""
    return {
        twin_time(at)
        for name in twin.get_object("contacts", contact_id)
        for at, _ in twin.history("contacts", contact_id, name)
    }


def twin_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_the_command_prints_the_report_and_refuses_a_bad_candidate(
    filled: Filled, ledger_url: str, tmp_path: Path
) -> None:
    env = command_env(tmp_path, ledger_url, filled.server_url, REDIS_URL, "leadflow-backtest-cli")
    result = run_command([LEADFLOW, "backtest", "--model", str(inverted(tmp_path)), "--json"], env, tmp_path)
    assert result.returncode == 0, describe(result)
    document = json.loads(result.stdout)
    assert document["models"]["candidate"] == "inverted-weights"
    assert (document["totals"]["current"]["mql"], document["totals"]["candidate"]["mql"]) == (2, 0)
    text = run_command([LEADFLOW, "backtest", "--model", str(inverted(tmp_path))], env, tmp_path)
    assert text.returncode == 0, describe(text)
    assert "    accepted: 50.0 % (n=2)" in text.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        inverted(tmp_path).read_text().replace("when: company.industry in [", "when: company.industry inn [", 1)
    )
    refused = run_command([LEADFLOW, "backtest", "--model", str(broken)], env, tmp_path)
    assert refused.returncode == 2, describe(refused)
    (line,) = [line for line in refused.stderr.splitlines() if line.startswith("Error: ")]
    assert line.startswith(f"Error: {broken}: rule 'target-industry': ") and "Traceback" not in refused.stderr
