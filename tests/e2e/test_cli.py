"""The real command line, as a user runs it: `leadflow twin`, `setup`, gunicorn, `worker --burst`, `status`, …

Every Leadflow process is a subprocess with its own environment; the portal is seeded and read back through
the official HubSpot SDK, and HubSpot's webhooks are played with signed deliveries to the web process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from hubspot import HubSpot
from hubspot.crm.associations.v4 import AssociationSpec
from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyInput
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactInput

from app.rules.properties import NURTURE_PROPERTIES
from hubspot_twin.webhooks.handmade import EventFactory, deliver
from tests.conftest import CLI_REDIS_URL, empty_redis_db
from tests.support.processes import Service, describe, free_port, run_command

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.prefix) / "bin"
LEADFLOW = str(BIN / "leadflow")
GUNICORN = str(BIN / "gunicorn")
# The commands' own Redis database (tests/conftest.py: 13, or the xdist worker's), emptied before and after each test.
REDIS_URL = CLI_REDIS_URL
ACCESS_TOKEN = "cli-e2e-access-token"
CLIENT_SECRET = "cli-e2e-client-secret-0123456789"
APP_ID = "4242"

SCORE_PROPERTIES = (
    "leadflow_fit_score",
    "leadflow_engagement_score",
    "leadflow_score",
    "leadflow_grade",
    "leadflow_stage",
    "leadflow_score_reasons",
    "leadflow_model",
    "leadflow_scored_at",
)
EXPECTED_REASONS = (
    "+30 Decision maker or budget holder · +25 Target industry · +20 50 to 1000 employees · +15 DACH market"
    " · +10 Demo request (1×) · +5 Whitepaper download (1×) · +4 Newsletter click (2×)"
)
SLA_PROPERTIES = (
    "leadflow_sla_status",
    "leadflow_sla_due_at",
    "leadflow_first_touch_at",
    "leadflow_response_business_minutes",
)
HUBSPOT_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@dataclass
class Portal:
    """`leadflow twin` running as a subprocess, and the official SDK pointed at it."""

    service: Service
    url: str
    client: HubSpot

    def request_counts(self) -> dict[str, int]:
        with urllib.request.urlopen(f"{self.url}/_twin/requests", timeout=5) as response:
            counts: dict[str, int] = json.load(response)["counts"]
            return counts

    def form_submitted(self, contact_id: str, form: str, at_ms: int) -> None:
        """Change the contact as a form submission does (name, date, count), through the twin's control API."""
        values = {"recent_conversion_event_name": form, "recent_conversion_date": str(at_ms)}
        body = json.dumps({"properties": values, "changeSource": "FORM"}).encode()
        url = f"{self.url}/_twin/objects/contacts/{contact_id}"
        request = urllib.request.Request(url, data=body, method="PATCH", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5):
            time.sleep(0.005)  # HubSpot stamps each submission at its own time

    def reset_request_counts(self) -> None:
        request = urllib.request.Request(f"{self.url}/_twin/requests/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=5):
            pass


@dataclass
class Leadflow:
    """The environment every Leadflow command of one test runs with, and a way to run them."""

    env: dict[str, str]
    tmp_path: Path

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return run_command([LEADFLOW, *args], self.env, self.tmp_path, timeout=timeout)

    def ok(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        result = self.run(*args, timeout=timeout)
        assert result.returncode == 0, describe(result)
        return result


def base_env(home: Path) -> dict[str, str]:
    """A clean environment: nothing of the test runner's settings leaks into a command.

    `home` is private to the test: gunicorn (27+) puts its control socket under $HOME/.gunicorn, which two
    gunicorns sharing a home would fight over.
    """
    home.mkdir(exist_ok=True)
    return {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "TZ": "UTC",
    }


@pytest.fixture
def redis_db() -> Iterator[redis.Redis]:
    """The Redis database the commands of these tests use (tests/conftest.py), emptied before and after."""
    with empty_redis_db(REDIS_URL) as client:
        yield client


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[Portal]:
    port = free_port()
    argv = [LEADFLOW, "twin", "--port", str(port), "--token", ACCESS_TOKEN]
    with Service("twin", argv, base_env(tmp_path / "home"), tmp_path, tmp_path).start() as service:
        service.wait_for_port(port)
        url = f"http://127.0.0.1:{port}"
        yield Portal(service, url, HubSpot(access_token=ACCESS_TOKEN, host=url))


@pytest.fixture
def leadflow(portal: Portal, redis_db: redis.Redis, tmp_path: Path) -> Leadflow:
    tag = uuid.uuid4().hex[:12]
    env = {
        **base_env(tmp_path / "home"),
        "LEADFLOW_ENV": "development",
        "HUBSPOT_ACCESS_TOKEN": ACCESS_TOKEN,
        "HUBSPOT_CLIENT_SECRET": CLIENT_SECRET,
        "HUBSPOT_APP_ID": APP_ID,
        "HUBSPOT_API_BASE": portal.url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "REDIS_URL": REDIS_URL,
        "LEADFLOW_CONFIG": str(ROOT / "config"),
        "DRAIN_DEBOUNCE_SECONDS": "0",
        "QUEUE_NAME": f"leadflow-cli-{tag}",
        "REDIS_PREFIX": f"leadflow-cli-{tag}",
    }
    return Leadflow(env, tmp_path)


def gunicorn(env: dict[str, str], tmp_path: Path) -> tuple[Service, str]:
    """The webhook receiver as the Procfile runs it, with one worker on a free local port, and its base URL."""
    port = free_port()
    argv = [GUNICORN, "--config", "python:app.serving.gunicorn_conf", "--workers", "1", "--bind", f"127.0.0.1:{port}"]
    argv.append("app:create_app()")
    return Service("web", argv, env, tmp_path, tmp_path), f"http://127.0.0.1:{port}"


def seed(client: HubSpot) -> str:
    """Create a DACH machinery company and a decision maker whose primary company it is; return the contact id."""
    company = client.crm.companies.basic_api.create(
        CompanyInput(
            properties={
                "name": "Kessler Maschinenbau",
                "industry": "MACHINERY",
                "numberofemployees": "250",
                "country": "Germany",
            }
        )
    )
    contact = client.crm.contacts.basic_api.create(
        ContactInput(
            properties={
                "email": "anna.keller@kessler.de",
                "firstname": "Anna",
                "lastname": "Keller",
                "company": "Kessler Maschinenbau",
                "phone": "+49 711 555 0100",
                "country": "Germany",
                "hs_buying_role": "DECISION_MAKER",
            }
        )
    )
    primary = AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)
    client.crm.associations.v4.basic_api.create("contacts", contact.id, "companies", company.id, [primary])
    links = client.crm.associations.v4.basic_api.get_page("contacts", contact.id, "companies")
    found = [(link.to_object_id, sorted(kind.type_id for kind in link.association_types)) for link in links.results]
    assert found == [(str(company.id), [1, 279])]  # primary (1) brings unlabelled (279) along
    return str(contact.id)


def buyer_actions(portal: Portal, events: EventFactory, contact_id: str) -> list[dict[str, Any]]:
    """What HubSpot would send for a new contact who downloads a whitepaper, requests a demo, clicks twice (the
    conversions are made in the twin: Leadflow reads their form names from it)."""
    now_ms = int(time.time() * 1000)
    minute = 60_000
    clicks = [now_ms - 30 * minute, now_ms - 2 * minute]
    forms = [("Whitepaper: Predictive maintenance", now_ms - 50 * minute), ("Demo request", now_ms - 40 * minute)]
    for form, at in forms:
        portal.form_submitted(contact_id, form, at)
    conversion = "recent_conversion_date"
    return [
        events.creation("contact", contact_id, occurred_at_ms=now_ms - 60 * minute),
        *[events.property_change("contact", contact_id, conversion, str(at), source="FORM", occurred_at_ms=at)
          for _form, at in forms],
        *[events.property_change("contact", contact_id, "hs_email_last_click_date", str(at), source="EMAIL",
                                 occurred_at_ms=at) for at in clicks],
    ]  # fmt: skip


def read_scores(client: HubSpot, contact_id: str) -> dict[str, str | None]:
    contact = client.crm.contacts.basic_api.get_by_id(contact_id, properties=list(SCORE_PROPERTIES))
    return {name: contact.properties.get(name) for name in SCORE_PROPERTIES}


def status_lines(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """Parse `leadflow status` into {label: value}."""
    return {
        match.group(1): match.group(2)
        for line in result.stdout.splitlines()
        if (match := re.fullmatch(r"(\S+(?: \S+)*?)\s{2,}(.*)", line.rstrip()))
    }


def test_setup_webhooks_and_a_burst_worker_score_a_contact_in_hubspot(
    portal: Portal, leadflow: Leadflow, tmp_path: Path
) -> None:
    contact_id = seed(portal.client)

    first = leadflow.ok("setup")
    created = re.findall(r"^created +(\S+)$", first.stdout, re.MULTILINE)
    assert "property group: created" in first.stdout, describe(first)
    assert sorted(created) == sorted([*SCORE_PROPERTIES, *SLA_PROPERTIES, *NURTURE_PROPERTIES]), describe(first)
    assert "  leadflow_nurture_step is 'checklist': send the email for 'checklist'" in first.stdout, describe(first)
    assert "warning" not in first.stderr, describe(first)
    second = leadflow.ok("setup")
    unchanged = re.findall(r"^unchanged +(\S+)$", second.stdout, re.MULTILINE)
    assert "property group: present" in second.stdout, describe(second)
    assert sorted(unchanged) == sorted([*SCORE_PROPERTIES, *SLA_PROPERTIES, *NURTURE_PROPERTIES]), describe(second)
    assert not re.search(r"^(created|options) ", second.stdout, re.MULTILINE), describe(second)
    defined = {p.name: p for p in portal.client.crm.properties.core_api.get_all("contacts").results}
    handover_properties = {"leadflow_routing_reason", "leadflow_handover_blocked"}
    assert {name for name in defined if name.startswith("leadflow_")} == {
        *SCORE_PROPERTIES,
        *handover_properties,
        *SLA_PROPERTIES,
        *NURTURE_PROPERTIES,
    }
    assert {defined[name].group_name for name in SCORE_PROPERTIES} == {"leadflow"}

    service, web_url = gunicorn(leadflow.env, tmp_path)
    with service.start() as web:
        web.wait_for_http(f"{web_url}/healthz")
        webhook_url = f"{web_url}/webhooks/hubspot"
        events = EventFactory(app_id=int(APP_ID))
        for event in buyer_actions(portal, events, contact_id):
            delivery = deliver(webhook_url, [event], CLIENT_SECRET)
            assert (delivery.status, delivery.body) == (204, ""), f"{event}\n{web.output()}"
        forged = events.property_change(
            "contact", contact_id, "hs_email_last_click_date", str(int(time.time() * 1000)), source="EMAIL"
        )
        refused = deliver(webhook_url, [forged], "not-the-client-secret")
        assert refused.status == 401, f"{refused}\n{web.output()}"
        assert json.loads(refused.body)["error"] == "signature-invalid"

        started = datetime.now(UTC)
        worked = leadflow.ok("worker", "--burst", timeout=60)
        scores = read_scores(portal.client, contact_id)
        scored_at = scores.pop("leadflow_scored_at")
        assert scores == {
            "leadflow_fit_score": "90",  # 25 industry + 20 size + 30 decision maker + 15 DACH
            "leadflow_engagement_score": "19",  # 5 whitepaper + 10 demo + 2 × 2 clicks (the forged one not)
            "leadflow_score": "109",
            "leadflow_grade": "A3",
            "leadflow_stage": "mql",  # sql needs engagement >= 30
            "leadflow_score_reasons": EXPECTED_REASONS,
            "leadflow_model": "default-2026-12",
        }, describe(worked)
        assert scored_at is not None, describe(worked)
        assert HUBSPOT_DATETIME.fullmatch(scored_at), scored_at
        assert started - timedelta(seconds=1) <= datetime.fromisoformat(scored_at) <= datetime.now(UTC)

        status = status_lines(leadflow.ok("status"))
        assert status["dirty contacts"] == "0", status
        assert status["being drained"] == "0", status
        assert status["queued jobs"] == "0", status
        assert status["failed jobs"] == "0", status
        assert status["signals"] == "5 (0 unprocessed)", status
        assert status["engagements"] == "4", status
        assert status["contacts assessed"] == "1", status
        assert status["nurture"] == "0 active, 0 waiting, 1 paused, 0 exhausted, 0 suppressed, 0 none (0 due now)"
        explained = leadflow.ok("nurture", "--explain", contact_id, "--as-of", "2026-12-07T10:00:00Z").stdout
        assert explained.splitlines() == [
            f"contact {contact_id} at 2026-12-07 10:00 UTC (the last drain's scores: fit 90, engagement 19, grade A3, "
            "stage mql)",
            "paused",  # the MQL's handover is open: sales has the lead
            "  · paused: the lead is handed over to sales",
            "offers: none yet",  # it became an MQL in the drain that saw its whitepaper: never nurtured
        ], explained

        portal.reset_request_counts()
        started_run = leadflow.ok("rescore", "--all")
        assert re.search(r"^re-score \w+: 1 contacts, 1 companies$", started_run.stdout, re.M), describe(started_run)
        again = leadflow.ok("worker", "--burst", timeout=60)
        counts = portal.request_counts()
        # Two searches count the portal; the company page goes into the cache; the contact page is the read.
        assert counts == {
            "POST /crm/v3/objects/contacts/search": 1,
            "POST /crm/v3/objects/companies/search": 1,
            "GET /crm/v3/objects/companies": 1,
            "GET /crm/v3/objects/contacts": 1,
        }, f"{counts}\n{describe(again)}"
        assert read_scores(portal.client, contact_id) == {**scores, "leadflow_scored_at": scored_at}
        assert status_lines(leadflow.ok("status"))["dirty contacts"] == "0"
        assert portal.service.process is not None
        assert portal.service.process.poll() is None, portal.service.output()


def test_history_prints_a_contacts_score_and_stage_timeline_until_the_contact_is_forgotten(
    portal: Portal, leadflow: Leadflow, tmp_path: Path
) -> None:
    contact_id = seed(portal.client)
    leadflow.ok("setup")
    actions = buyer_actions(portal, EventFactory(app_id=int(APP_ID)), contact_id)
    acted_at = datetime.fromtimestamp(max(event["occurredAt"] for event in actions) // 1000, UTC)
    service, web_url = gunicorn(leadflow.env, tmp_path)
    with service.start() as web:
        web.wait_for_http(f"{web_url}/healthz")
        delivery = deliver(f"{web_url}/webhooks/hubspot", actions, CLIENT_SECRET)
        assert delivery.status == 204, web.output()
    leadflow.ok("worker", "--burst", timeout=60)

    lines = leadflow.ok("history", contact_id).stdout.splitlines()
    assert lines[0].startswith(f"contact {contact_id} now: fit 90 · engagement 19 · score 109 · grade A3 · stage mql")
    when = acted_at.isoformat().replace("+00:00", "Z").replace("T", " ")
    score = next(n for n, line in enumerate(lines) if "  score  " in line)
    assert f"score 109 · grade A3 · stage mql · cycle 1 · cause signal (buyer acted {when})" in lines[score]
    assert lines[score + 1].strip() == f"{EXPECTED_REASONS} [default-2026-12]"
    assert any(f"stage     - → mql · cycle 1 · cause signal (buyer acted {when})" in line for line in lines), lines
    assert lines[-1] == "1 score change(s), 1 stage change(s), 1 handover(s)"
    document = json.loads(leadflow.ok("history", "--json", contact_id).stdout)
    stage = next(entry for entry in document["timeline"] if entry["kind"] == "stage")
    assert (stage["to"], stage["score"], stage["grade"], stage["cause"]) == ("mql", 109, "A3", "signal")
    assert stage["signal_at"] == acted_at.isoformat().replace("+00:00", "Z")

    leadflow.ok("forget", contact_id)
    unknown = leadflow.run("history", contact_id)
    assert unknown.returncode == 1, describe(unknown)
    assert (
        unknown.stderr.strip() == f"Error: the ledger holds nothing of contact {contact_id}: never scored, or forgotten"
    )
    assert "Traceback" not in unknown.stderr


def test_the_gunicorn_web_process_logs_accepted_webhooks_as_json_lines(
    portal: Portal, leadflow: Leadflow, tmp_path: Path
) -> None:
    contact_id = seed(portal.client)
    service, web_url = gunicorn(leadflow.env, tmp_path)
    with service.start() as web:
        web.wait_for_http(f"{web_url}/healthz")
        delivery = deliver(
            f"{web_url}/webhooks/hubspot", [EventFactory().creation("contact", contact_id)], CLIENT_SECRET
        )
        assert delivery.status == 204, web.output()
        web.stop()
        logged = [json.loads(line) for line in web.stderr_path.read_text().splitlines() if line.startswith("{")]
        accepted = [entry for entry in logged if entry.get("event") == "webhook.accepted"]
        assert [entry.get("events") for entry in accepted] == [1], web.output()


def test_assess_answers_each_line_in_order_and_refuses_an_invalid_model_before_reading(tmp_path: Path) -> None:
    env = base_env(tmp_path / "home")
    lines = (
        json.dumps(
            {
                "id": "anna",
                "contact": {"hs_buying_role": "DECISION_MAKER", "country": "Germany", "email": "anna@kessler.de"},
                "company": {"industry": "MACHINERY", "numberofemployees": 250},
                "events": [{"type": "demo_request", "occurred_at": "2026-11-19T10:00:00Z"}],
            }
        )
        + "\n{not json\n"
    )
    result = run_command(
        [LEADFLOW, "assess", "--config", "config", "--at", "2026-11-20T10:00:00Z"], env, ROOT, timeout=30, input=lines
    )
    assert result.returncode == 1, describe(result)
    first, second, *rest = [json.loads(line) for line in result.stdout.splitlines()]
    assert rest == [], describe(result)
    assert (first["id"], first["fit"], first["engagement"], first["grade"], first["model"]) == (
        "anna",
        90,
        10,
        "A3",
        "default-2026-12",
    ), describe(result)
    assert first["stage"] is None  # mql needs engagement >= 15
    assert [reason["id"] for reason in first["reasons"]] == [
        "decision-maker",
        "target-industry",
        "company-size",
        "dach",
        "demo_request",
    ]
    assert "error" not in first
    assert set(second) == {"id", "error"}, describe(result)
    assert second["id"] is None
    assert second["error"].startswith("invalid JSON"), describe(result)

    broken = tmp_path / "model"
    broken.mkdir()
    text = (ROOT / "config" / "scoring.yaml").read_text()
    typo = text.replace("when: company.industry in [", "when: company.industry inn [", 1)
    assert typo != text
    (broken / "scoring.yaml").write_text(typo)
    reader, writer = os.pipe()  # standard input that never ends: a command that reads it would hang
    try:
        refused = run_command([LEADFLOW, "assess", "--config", str(broken)], env, ROOT, timeout=30, stdin=reader)
    finally:
        os.close(reader)
        os.close(writer)
    assert refused.returncode != 0, describe(refused)
    assert refused.stdout == "", describe(refused)
    assert str(broken / "scoring.yaml") in refused.stderr, describe(refused)
    assert "target-industry" in refused.stderr, describe(refused)


def test_assess_reports_a_line_of_an_unknown_shape_and_exits_non_zero_after_the_others(tmp_path: Path) -> None:
    lines = '{"id": "hubspot-shape", "properties": {"country": "Germany"}}\n{"id": "ok", "contact": {}}\n'
    result = run_command(
        [LEADFLOW, "assess", "--at", "2026-11-20T10:00:00Z"], base_env(tmp_path / "home"), ROOT, timeout=30, input=lines
    )
    assert result.returncode == 1, describe(result)
    first, second = [json.loads(line) for line in result.stdout.splitlines()]
    assert first["id"] == "hubspot-shape" and "unknown keys 'properties'" in first["error"], describe(result)
    assert (second["id"], second["fit"], "error" in second) == ("ok", 0, False), describe(result)
    assert "Traceback" not in result.stderr, describe(result)
