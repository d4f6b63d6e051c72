"""`leadflow doctor` against the twin: a healthy installation is healthy, and each injected problem is named, with
what to do, as the only failure.

The installation is real: the twin over HTTP through the SDK gateway, `leadflow setup` run on it, the web app
serving PUBLIC_URL, a real Redis with a real RQ worker listening, a SQLite ledger.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner
from hubspot import HubSpot
from hubspot.crm.properties import OptionInput, PropertyUpdate
from rq import Worker

from app import create_app
from app.app_build_report import build_project, write_project
from app.bootstrap import Container
from app.cli import main
from app.clock import build_cron
from app.rules.configuration import load_configuration
from app.rules.doctor import DoctorReport, Finding
from app.sync.doctor import DoctorContext, run_doctor
from app.sync.hubspot.sdk import SdkGateway
from app.sync.setup import run_setup
from app.workers import ThreadWorker
from hubspot_twin import Twin, TwinServer
from hubspot_twin.catalog.scopes import PORTAL_SCOPES
from tests.conftest import CONFIG_DIR, REDIS_URL
from tests.e2e.conftest import FAST_RETRIES
from tests.support.app import ACCESS_TOKEN, APP_ID, CLIENT_SECRET, make_container
from tests.support.processes import free_port

OWNERS = (
    "dana.fuchs@example.com", "malte.krueger@example.com", "lena.schmidt@example.com", "sam.taylor@example.com",
    "jonas.berger@example.com", "priya.nair@example.com", "olaf.otto@example.com", "ops@example.com",
)  # fmt: skip
DEAL_STAGE = "      stage: appointmentscheduled"


@dataclass
class Install:
    """A running installation: the portal, Leadflow's container, the web process's URL, its config directory."""

    twin: Twin
    api_url: str
    container: Container
    public_url: str
    config_dir: Path

    def context(self) -> DoctorContext:
        return self.container.provide(DoctorContext)

    def doctor(self, **changes: object) -> DoctorReport:
        return run_doctor(dataclasses.replace(self.context(), **changes))


@contextmanager
def installed(
    tmp_path: Path, client: redis.Redis, config_dir: Path, skip_owner: str | None = None
) -> Iterator[Install]:
    twin = Twin(access_tokens={ACCESS_TOKEN})
    for email in OWNERS:
        if email != skip_owner:
            twin.create_owner(email, *email.split("@")[0].split("."))
    with twin.serve() as api:
        container = make_container(
            f"sqlite:///{tmp_path / 'ledger.db'}",
            client,
            gateway_factory=lambda: SdkGateway(ACCESS_TOKEN, api.url, (2.0, 10.0), FAST_RETRIES),
            settings={"hubspot_api_base": api.url, "leadflow_config": config_dir},
        )
        with TwinServer(create_app(container=container)).start() as web:
            container = dataclasses.replace(container, settings=container.settings.model_copy(
                update={"public_url": web.url}))  # fmt: skip
            yield Install(twin, api.url, container, web.url, config_dir)
        container.ledger.engine.dispose()


def set_up_portal(install: Install, nurture: bool = True) -> None:
    """Run `leadflow setup` (without nurture's properties: as before nurture.yaml was added)."""
    container = install.container
    run_setup(
        container.gateway(),
        container.ledger,
        container.model,
        container.clock,
        container.handover_config,
        container.nurture_config if nurture else None,
    )


@contextmanager
def running_worker(container: Container, idle_seconds: int) -> Iterator[ThreadWorker]:
    """Run a real RQ worker on Leadflow's queue in a thread; it quits after `idle_seconds` without jobs."""
    worker = ThreadWorker(container)
    thread = threading.Thread(target=worker.work, kwargs={"max_idle_time": idle_seconds}, daemon=True)
    thread.start()
    _wait_for(lambda: any(w.name == worker.name for w in Worker.all(queue=container.queue)))
    try:
        yield worker
    finally:
        thread.join(timeout=idle_seconds + 10)


@contextmanager
def registered_processes(container: Container, worker: bool = True, clocks: int = 1) -> Iterator[None]:
    """Register a worker on Leadflow's queue and clock processes (RQ's cron scheduler, with Leadflow's jobs) in
    RQ's registries, as they do when they start; deregister them after."""
    workers = [ThreadWorker(container)] if worker else []
    schedulers = [build_cron(container.redis, container.settings.queue_name) for _ in range(clocks)]
    for process in (*workers, *schedulers):
        process.register_birth()
        process.heartbeat()
    try:
        yield
    finally:
        for process in (*workers, *schedulers):
            process.register_death()


def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    stop = threading.Event()
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        stop.wait(0.05)
    raise AssertionError("the worker did not register in time")


def doctor_env(install: Install, tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The environment `leadflow doctor` runs with beside this installation's processes."""
    return {
        "LEADFLOW_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "REDIS_URL": REDIS_URL,
        "HUBSPOT_ACCESS_TOKEN": ACCESS_TOKEN,
        "HUBSPOT_CLIENT_SECRET": CLIENT_SECRET,
        "HUBSPOT_APP_ID": APP_ID,
        "HUBSPOT_API_BASE": install.api_url,
        "PUBLIC_URL": install.public_url,
        "LEADFLOW_CONFIG": str(install.config_dir),
        **overrides,
    }


def failures(report: DoctorReport) -> list[Finding]:
    return [finding for finding in report.findings if finding.status == "fail"]


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, target)
    return target


def test_doctor_reports_a_healthy_installation_as_healthy(
    tmp_path: Path, redis_client: redis.Redis, config_copy: Path
) -> None:
    with installed(tmp_path, redis_client, config_copy) as install:
        set_up_portal(install)
        env = doctor_env(install, tmp_path)
        # The project as `leadflow app build` writes it (which takes only an https PUBLIC_URL, as HubSpot does).
        project = build_project(load_configuration(config_copy), "https://leads.example.com", "Leadflow")
        write_project(project, tmp_path / "project")
        with running_worker(install.container, idle_seconds=4), registered_processes(install.container, worker=False):
            text = CliRunner().invoke(main, ["doctor", "--project", str(tmp_path / "project")], env=env)
            answer = CliRunner().invoke(main, ["doctor", "--json"], env=env)
        counts = install.container.ledger.counts()
        assert (counts.signals, counts.quarantined) == (0, 0)  # the signed probes stored nothing

    assert text.exit_code == 0, text.output
    assert "FAIL" not in text.output and "WARN" not in text.output
    assert "the project holds all " in text.output
    assert "healthy: " in text.output.splitlines()[-1]
    assert "1 worker(s) listening on the queue 'leadflow'" in text.output
    assert "accepted a request signed with HUBSPOT_CLIENT_SECRET (204)" in text.output
    report = json.loads(answer.stdout)
    assert answer.exit_code == 0 and report["healthy"] is True
    checks = {finding["check"] for finding in report["findings"] if finding["status"] == "ok"}
    assert checks >= {"redis", "ledger", "workers", "clock", "public url", "token", "scopes", "properties", "owners",
                      "pipelines", "lead statuses"}  # fmt: skip
    # Without --project the subscriptions cannot be read: a warning, never a failure.
    assert [f["check"] for f in report["findings"] if f["status"] == "warn"] == ["subscriptions"]


def test_doctor_reports_a_stopped_worker(tmp_path: Path, redis_client: redis.Redis) -> None:
    with installed(tmp_path, redis_client, CONFIG_DIR) as install:
        set_up_portal(install)
        with running_worker(install.container, idle_seconds=1):
            pass  # the worker works, then stops (idle): RQ deregisters it
        with registered_processes(install.container, worker=False):
            report = install.doctor()

    assert [(f.check, f.what) for f in failures(report)] == [
        ("workers", "no worker is listening on the queue 'leadflow'")
    ]
    assert "leadflow worker" in failures(report)[0].what_to_do


def test_doctor_names_redis_and_the_ledger_when_they_do_not_answer(tmp_path: Path, redis_client: redis.Redis) -> None:
    with installed(tmp_path, redis_client, CONFIG_DIR) as install:
        set_up_portal(install)
        env = doctor_env(
            install,
            tmp_path,
            REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
            DATABASE_URL=f"sqlite:///{tmp_path / 'no-such-directory' / 'ledger.db'}",
        )
        result = CliRunner().invoke(main, ["doctor", "--json"], env=env)

    assert result.exit_code == 1, result.output
    failed = [(f["check"], f["what"]) for f in json.loads(result.stdout)["findings"] if f["status"] == "fail"]
    assert failed == [
        ("redis", "Redis does not answer (ConnectionError)"),
        ("ledger", "the ledger does not answer (OperationalError)"),
        ("workers", "not checked: RQ keeps its worker registry in Redis"),
        ("clock", "not checked: RQ keeps its cron schedulers' registry in Redis"),
        # Every HubSpot call takes a slot of the budget in Redis: the portal is not read at all.
        ("token", "not checked: every HubSpot call takes a slot of the shared budget in Redis"),
    ]


def test_doctor_names_a_token_hubspot_refuses_and_skips_the_portal_reads(
    tmp_path: Path, redis_client: redis.Redis
) -> None:
    with installed(tmp_path, redis_client, CONFIG_DIR) as install, registered_processes(install.container):
        set_up_portal(install)
        revoked = SdkGateway("revoked-token", install.api_url, (2.0, 10.0), FAST_RETRIES)
        report = install.doctor(gateway=lambda: revoked)

    [failure] = failures(report)
    assert (failure.check, failure.what) == ("token", "HubSpot refuses the access token (401)")
    assert "HUBSPOT_ACCESS_TOKEN" in failure.what_to_do
    assert not {"scopes", "properties", "owners"} & {finding.check for finding in report.findings}


@pytest.mark.parametrize(("clocks", "what"), [
    (0, "no clock process is running: reconcile, decay, SLA, nurture and retention never run"),
    (2, "2 clock processes are running ("),
])  # fmt: skip
def test_doctor_names_a_missing_clock_and_a_second_one(
    tmp_path: Path, redis_client: redis.Redis, clocks: int, what: str
) -> None:
    with (
        installed(tmp_path, redis_client, CONFIG_DIR) as install,
        registered_processes(install.container, clocks=clocks),
    ):
        set_up_portal(install)
        report = install.doctor()

    [failure] = failures(report)
    assert failure.check == "clock"
    assert failure.what.startswith(what)
    assert "leadflow clock" in failure.what_to_do or "stop all but one" in failure.what_to_do


def _drop_scope(install: Install) -> None:
    install.twin.grant_scopes(ACCESS_TOKEN, PORTAL_SCOPES - {"crm.objects.owners.read"})


def _drop_stage_option(install: Install) -> None:
    client = HubSpot(access_token=ACCESS_TOKEN, host=install.api_url)
    current = client.crm.properties.core_api.get_by_name("contacts", "leadflow_stage")
    kept = [OptionInput(label=o.label, value=o.value, display_order=o.display_order, hidden=False)
            for o in current.options if o.value != "sql"]  # fmt: skip
    client.crm.properties.core_api.update("contacts", "leadflow_stage", PropertyUpdate(options=kept))


# (name, how to break the healthy install, the failing check, what the finding says, a phrase of what to do)
Injection = Callable[[Install], dict[str, object]]
PROBLEMS: list[tuple[str, Injection, str, str, str]] = [
    ("missing scope", lambda i: (_drop_scope(i), {})[1], "scopes",
     "the token lacks the scope crm.objects.owners.read", "hs project upload"),
    ("wrong option", lambda i: (_drop_stage_option(i), {})[1], "properties",
     "contact property leadflow_stage lacks the option 'sql'", "leadflow setup"),
    ("unreachable PUBLIC_URL", lambda i: {"public_url": f"http://127.0.0.1:{free_port()}"}, "public url",
     "does not answer (ConnectionError)", "start the web process"),
    ("wrong client secret", lambda i: {"client_secret": "not-the-apps-secret"}, "public url",
     "refused the signature (signature-invalid)", "copy the client secret"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "inject", "check", "what", "what_to_do"), PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_doctor_names_an_injected_problem_and_what_to_do(
    tmp_path: Path, redis_client: redis.Redis, name: str, inject: Injection, check: str, what: str, what_to_do: str
) -> None:
    with installed(tmp_path, redis_client, CONFIG_DIR) as install, registered_processes(install.container):
        set_up_portal(install)
        report = install.doctor(**inject(install))

    [failure] = failures(report)
    assert failure.check == check
    assert what in failure.what
    assert what_to_do in failure.what_to_do


def test_doctor_names_a_missing_property(tmp_path: Path, redis_client: redis.Redis) -> None:
    with installed(tmp_path, redis_client, CONFIG_DIR) as install, registered_processes(install.container):
        set_up_portal(install, nurture=False)  # nurture.yaml added after setup ran
        report = install.doctor()

    assert {(f.check, f.what) for f in failures(report)} == {
        ("properties", f"contact property {name} does not exist")
        for name in ("leadflow_nurture_track", "leadflow_nurture_step", "leadflow_nurture_step_at")
    }
    assert all("leadflow setup" in f.what_to_do for f in failures(report))


def test_doctor_names_an_unknown_owner_in_routing(tmp_path: Path, redis_client: redis.Redis) -> None:
    skipped = "priya.nair@example.com"
    with (
        installed(tmp_path, redis_client, CONFIG_DIR, skip_owner=skipped) as install,
        registered_processes(install.container),
    ):
        set_up_portal(install)
        report = install.doctor()

    [failure] = failures(report)
    assert failure.check == "owners"
    assert failure.what.startswith(f"{skipped} (routing.yaml pools.international-team")
    assert "is not an owner in this portal" in failure.what
    assert "fix the email in config/" in failure.what_to_do


def test_doctor_names_an_unknown_pipeline_stage(tmp_path: Path, redis_client: redis.Redis, config_copy: Path) -> None:
    handover = config_copy / "handover.yaml"
    text = handover.read_text(encoding="utf-8")
    assert DEAL_STAGE in text
    handover.write_text(text.replace(DEAL_STAGE, "      stage: demo-booked"), encoding="utf-8")
    with installed(tmp_path, redis_client, config_copy) as install, registered_processes(install.container):
        set_up_portal(install)
        report = install.doctor()

    [failure] = failures(report)
    assert failure.check == "pipelines"
    assert failure.what == "stage 'demo-booked' (handover.yaml stages.sql.deal) is not a stage of pipeline 'default'"
    assert "appointmentscheduled" in failure.what_to_do
