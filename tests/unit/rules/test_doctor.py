"""`leadflow doctor`'s pure judgements: the report's text, JSON and exit status; subscriptions against a built
project; workers by their heartbeat; the signed probe's answers; what the default configuration names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.rules.app_project import features_of, webhooks_config
from app.rules.configuration import load_configuration
from app.rules.doctor import DoctorReport, ProbeAnswer, WorkerSeen
from app.rules.doctor.findings import fail, ok, warn
from app.rules.doctor.installation import (
    ClockSeen,
    clock_finding,
    probe_finding,
    subscription_findings,
    worker_findings,
)
from app.rules.doctor.portal import lead_status_findings, scope_findings
from app.rules.doctor.wanted import named_lead_statuses, named_owners, named_stages
from tests.conftest import CONFIG_DIR

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
URL = "https://leads.example.com/webhooks/hubspot"


def test_a_report_without_failures_is_healthy_and_exits_0_even_with_warnings() -> None:
    report = DoctorReport((ok("redis", "Redis answers"), warn("queues", "queue 7 unread", "check it by hand")))

    assert report.healthy and report.exit_status == 0
    assert report.lines() == [
        "redis",
        "  ok   Redis answers",
        "queues",
        "  WARN queue 7 unread",
        "       → check it by hand",
        "healthy: 1 ok, 1 warnings, 0 failures",
    ]


def test_a_failure_makes_the_report_unhealthy_with_exit_status_1_and_json_naming_it() -> None:
    report = DoctorReport((ok("token", "works"), fail("scopes", "lacks crm.lists.read", "rebuild the app")))

    assert report.exit_status == 1
    assert report.lines()[-1] == "NOT healthy: 1 ok, 0 warnings, 1 failures"
    document = report.as_json()
    assert document["healthy"] is False
    assert document["findings"][1] == {
        "check": "scopes",
        "status": "fail",
        "what": "lacks crm.lists.read",
        "what_to_do": "rebuild the app",
    }


def test_each_missing_scope_is_its_own_failure() -> None:
    found = scope_findings(["oauth", "crm.lists.read", "crm.objects.owners.read"], frozenset({"oauth"}))

    assert [(f.status, f.what) for f in found] == [
        ("fail", "the token lacks the scope crm.lists.read"),
        ("fail", "the token lacks the scope crm.objects.owners.read"),
    ]


def test_the_built_project_holds_what_the_configuration_needs_or_the_missing_subscription_is_named() -> None:
    config = load_configuration(CONFIG_DIR)
    required = features_of(config).subscriptions
    built = webhooks_config(required, "https://leads.example.com")

    assert [f.status for f in subscription_findings(required, built)] == ["ok"]
    built["subscriptions"]["legacyCrmObjects"] = [
        entry for entry in built["subscriptions"]["legacyCrmObjects"] if entry["subscriptionType"] != "contact.merge"
    ]
    [missing] = subscription_findings(required, built)
    assert (missing.status, missing.what) == ("fail", "the project lacks the subscription contact.merge")


def test_without_a_project_the_subscriptions_are_a_warning_that_says_how_to_check_them() -> None:
    [finding] = subscription_findings((), None)

    assert finding.status == "warn"
    assert "--project DIR" in finding.what_to_do


def test_a_worker_is_live_while_its_heartbeat_is_fresh() -> None:
    fresh = WorkerSeen("w1", "idle", NOW - timedelta(seconds=30))
    stale = WorkerSeen("w2", "busy", NOW - timedelta(minutes=30))

    assert [f.status for f in worker_findings("leadflow", [fresh, stale], NOW)] == ["ok", "warn"]
    assert [f.status for f in worker_findings("leadflow", [stale], NOW)] == ["fail", "warn"]
    assert [f.status for f in worker_findings("leadflow", [], NOW)] == ["fail"]


def test_the_probe_is_judged_by_its_answer() -> None:
    assert probe_finding(URL, ProbeAnswer(204)).status == "ok"
    refused = probe_finding(URL, ProbeAnswer(401, "signature-invalid"))
    assert (refused.status, refused.what) == ("fail", f"{URL} refused the signature (signature-invalid)")
    assert "HUBSPOT_CLIENT_SECRET" in refused.what_to_do
    assert "does not answer (ConnectionError)" in probe_finding(URL, ProbeAnswer(None, "ConnectionError")).what
    assert "answered 502" in probe_finding(URL, ProbeAnswer(502)).what
    assert probe_finding(None, None).what.startswith("PUBLIC_URL is not set")
    assert probe_finding(URL, None).what.startswith("HUBSPOT_CLIENT_SECRET is not set")


def test_the_default_configuration_names_its_owners_stages_and_lead_statuses_with_where() -> None:
    config = load_configuration(CONFIG_DIR)

    owners = named_owners(config)
    assert owners["ops@example.com"] == ["handover.yaml gate.data_task.owner"]
    assert owners["olaf.otto@example.com"] == [
        "routing.yaml owners",
        "routing.yaml fallback",
        "sla.yaml escalation.managers",
    ]
    assert [(ref.pipeline, ref.stage, ref.where) for ref in named_stages(config.handover)] == [
        ("default", "appointmentscheduled", "handover.yaml stages.sql.deal"),
        ("default", "closedlost", "handover.yaml closing.lost_stages.default"),
    ]
    statuses = named_lead_statuses(config.handover)
    assert statuses["NEW"] == ["handover.yaml stages.mql.lead_status"]
    assert "" not in statuses  # recycle.lead_status "" clears the status: no option to check


def test_a_lead_status_hubspot_lacks_is_named_with_the_options_it_has() -> None:
    [finding] = lead_status_findings({"DEMO": ["handover.yaml stages.sql.lead_status"]}, frozenset({"NEW", "OPEN"}))

    assert (
        finding.what == "lead status 'DEMO' (handover.yaml stages.sql.lead_status) is not an option of hs_lead_status"
    )
    assert finding.what_to_do.endswith("NEW, OPEN")


def test_exactly_one_clock_with_a_fresh_heartbeat_is_ok() -> None:
    fresh, other = ClockSeen("host:1", NOW - timedelta(seconds=50)), ClockSeen("host:2", NOW - timedelta(seconds=5))
    gone = ClockSeen("host:3", NOW - timedelta(minutes=5))

    assert clock_finding([fresh, gone], NOW).status == "ok"
    assert clock_finding([gone], NOW).what.startswith("no clock process is running")
    assert clock_finding([fresh, other], NOW).what.startswith("2 clock processes are running (host:1, host:2)")
