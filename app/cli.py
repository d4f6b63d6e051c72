"""`leadflow`: the one command line. Each command translates its options into a call of the shell."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from app.bench_sections import BENCH_SECTIONS
from app.cli_errors import explain
from app.rules import load_scoring_model, run_assess
from app.rules.calibration.outcomes import DEFAULT_MATURE_DAYS, OUTCOMES, Outcome
from app.rules.kpis.nurture import DEFAULT_MQL_WITHIN_DAYS
from app.rules.subscriptions import required_subscriptions
from app.settings import Settings, config_directory, load_settings
from app.twin_options import TwinOptions

if TYPE_CHECKING:
    from app.bootstrap import Container
    from app.rules.kpis import LeadCycle, Period
    from app.rules.nurture import OfferRecord

SETTINGS = "leadflow.settings"  # where the command's settings wait in click's context, for `explain`


def _contact_ids(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """Refuse an id that is not HubSpot's (digits only): a typo or an email address would otherwise do nothing."""
    for value in values:
        _check_contact_id(value)
    return values


def _check_contact_id(value: str, option: str | None = None) -> str:
    if not (value.isascii() and value.isdigit()):
        problem = f"{value!r} is not a HubSpot contact id (HubSpot's ids are digits)"
        raise click.BadParameter(problem, param_hint=option)
    return value


def _contact_id(ctx: click.Context, param: click.Parameter, value: str) -> str:
    return _contact_ids(ctx, param, (value,))[0]


class LeadflowCommands(click.Group):
    """Leadflow's commands: one that fails for a reason the user can fix ends with one line, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            line = explain(exc, ctx.meta.get(SETTINGS))
            if line is None:
                raise
            raise click.ClickException(line) from None


def _settings(**overrides: Any) -> Settings:
    """Load the settings from the environment, kept for the message of a failure that names them."""
    settings = load_settings(overrides)
    click.get_current_context().meta[SETTINGS] = settings
    return settings


def _container(process: bool = False, migrate: bool = True) -> Container:
    """Build the container from the environment, with logs that mask its secrets (JSON lines for a `process`,
    web, worker or clock; text for a command a person runs, unless LOG_FORMAT says); closed when the command ends.
    `migrate=False` leaves the ledger's schema as it is (for a command that only reads)."""
    from app.bootstrap import build_container
    from app.logs import configure_logging
    from app.observability.secrets import secret_values
    from app.settings import LogFormat

    settings = _settings()
    default = LogFormat.JSON if process else LogFormat.TEXT
    configure_logging(settings.log_level, secret_values(settings), settings.log_format_or(default))
    container = build_container(settings, migrate_ledger=migrate)
    click.get_current_context().call_on_close(container.close)
    return container


@click.group(cls=LeadflowCommands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="leadflow", prog_name="leadflow")
def main() -> None:
    """Leadflow: qualifies B2B leads inside HubSpot (fit and engagement scores, stages, reasons)."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
def web(host: str, port: int) -> None:
    """Serve the webhook receiver on Flask's development server.

    In production, run gunicorn 'app:create_app()' as the Procfile does.
    """
    from app import create_app

    create_app(container=_container(process=True)).run(host=host, port=port)


@main.command()
@click.option("--burst", is_flag=True, help="Work until the queue is empty, then exit.")
def worker(burst: bool) -> None:
    """Run an RQ worker that drains dirty contacts.

    The worker runs RQ's scheduler too, for retries and debounced drains.
    """
    from app.workers import run_worker

    run_worker(_container(process=True), burst=burst)


@main.command()
def clock() -> None:
    """Run the periodic jobs: reconcile, decay, SLA, nurture and more.

    With sla.yaml also the touch reconciliation. RQ's cron scheduler; run exactly one clock process, with TZ=UTC.
    """
    from app.clock import build_cron

    container = _container(process=True)
    settings = container.settings
    build_cron(
        container.redis,
        settings.queue_name,
        settings.decay_sweep_seconds,
        settings.sla_watch_seconds,
        settings.touch_reconcile_seconds,
        settings.nurture_due_seconds,
    ).start()


@main.command()
@click.option("--port", default=8765, show_default=True, type=int, help="Port to serve the twin's API on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--token",
    "tokens",
    multiple=True,
    default=["twin-token"],
    show_default=True,
    help="Access token the twin accepts (repeatable).",
)
@click.option("--app-id", default=4242, show_default=True, type=click.IntRange(1), help="The private app's id.")
@click.option(
    "--contacts",
    default=0,
    show_default=True,
    type=click.IntRange(0, 100_000),
    help="Seed a simulated portal with this many contacts (with companies and a sales team).",
)
@click.option("--seed", default=7, show_default=True, type=int, help="Seed of the simulated portal and faults.")
@click.option(
    "--rate-limit",
    default=190,
    show_default=True,
    type=click.IntRange(0),
    help="Requests per token per rolling ten seconds (0: unlimited).",
)
@click.option("--daily-limit", default=625_000, show_default=True, type=click.IntRange(0), help="0: unlimited.")
@click.option("--fault-429", default=0.0, type=click.FloatRange(0, 1), help="Share of requests answered 429.")
@click.option("--fault-5xx", default=0.0, type=click.FloatRange(0, 1), help="Share answered with a 5xx.")
@click.option("--fault-slow", default=0.0, type=click.FloatRange(0, 1), help="Share answered late.")
@click.option("--slow-seconds", default=6.0, show_default=True, type=float, help="How late a slow answer is.")
@click.option("--fault-drop", default=0.0, type=click.FloatRange(0, 1), help="Share of connections dropped.")
@click.option("--webhook-url", default=None, help="Deliver HubSpot's webhooks there (Leadflow's subscriptions).")
@click.option("--client-secret", default="twin-client-secret", show_default=True, help="Signs the webhooks.")
@click.option("--config", "config_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Leadflow's config, for the webhook subscriptions it needs (default: LEADFLOW_CONFIG, else the "
                   "configuration shipped with Leadflow).")  # fmt: skip
@click.option(
    "--leads/--no-leads",
    default=True,
    show_default=True,
    help="Whether the portal has HubSpot's Leads object (Sales Hub Professional and up).",
)
def twin(**options: Any) -> None:
    """Serve the HubSpot twin, a local stand-in for HubSpot's API.

    A stateful portal with HubSpot's limits, optional faults and signed webhooks (hubspot_twin/README.md).
    """
    from app.twin_runner import run_twin

    shares = sum(options[name] for name in ("fault_429", "fault_5xx", "fault_slow", "fault_drop"))
    if shares > 1:
        raise click.BadParameter(f"the fault shares add up to {shares:g}; at most 1", param_hint="--fault-*")
    config_dir = options.pop("config_dir") or config_directory()
    run_twin(TwinOptions(**{**options, "app_id": str(options["app_id"]), "config_dir": config_dir}), click.echo)


@main.command()
@click.option("--config", "config_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Directory holding scoring.yaml (default: LEADFLOW_CONFIG, else the configuration shipped with "
                   "Leadflow).")  # fmt: skip
@click.option("--at", "at", default=None, help="Evaluation time, ISO 8601 (default: now).")
@click.argument("source", type=click.File("r"), default="-")
def assess(config_dir: Path | None, at: str | None, source: TextIO) -> None:
    """Score contacts from JSON Lines, offline.

    Reads a file or standard input and writes one JSON line per line in (docs/scoring-model.md); a malformed line
    gets an error line and the exit status is 1 at the end.
    """
    model = load_scoring_model((config_dir or config_directory()) / "scoring.yaml")
    failed = False
    for output, ok in run_assess(model, _lines(source), _evaluation_time(at)):
        click.echo(output)
        failed = failed or not ok
    if failed:
        sys.exit(1)


def _lines(source: TextIO) -> Iterator[str]:
    for line in source:
        if line.strip():
            yield line


def _evaluation_time(at: str | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise click.BadParameter(f"{at!r} is not an ISO 8601 time", param_hint="--at") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@main.command()
def setup() -> None:
    """Create the score properties in the portal (idempotent).

    Creates or completes the "Lead scoring (Leadflow)" property group and its properties, then prints the webhook
    subscriptions to create.
    """
    from app.rules.nurture.recipe import workflow_recipe
    from app.sync.setup import SetupConflict

    container = _container()
    try:
        report = container.setup_portal()
    except SetupConflict as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"property group: {'created' if report.group_created else 'present'}")
    for name in report.created:
        click.echo(f"created   {name}")
    for name, values in report.options_added.items():
        click.echo(f"options   {name}: added {', '.join(values)}")
    for name in report.unchanged:
        click.echo(f"unchanged {name}")
    click.echo("handover properties:")
    for line in report.handover_lines():
        click.echo(f"  {line}")
    click.echo(f"leads: {report.leads}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo("\nThe app's webhook subscriptions (`leadflow app build` writes them into its project):")
    wanted = required_subscriptions(
        container.model, container.signal_rules, container.handover_config, container.first_touch
    )
    for subscription in wanted:
        click.echo(f"  {subscription.describe()}")
    if container.nurture_config is not None:
        click.echo("")
        for line in workflow_recipe(container.nurture_config):
            click.echo(line)


@main.group("app")
def app_project() -> None:
    """Build the HubSpot app Leadflow installs as."""


@app_project.command("build")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("hubspot-app"),
              show_default=True, help="The project's directory (created when missing).")  # fmt: skip
@click.option("--name", default="Leadflow", show_default=True, help="The app's name in HubSpot.")
def app_build(out: Path, name: str) -> None:
    """Write the HubSpot project: the app with exactly the scopes and webhooks the configuration needs.

    Derived from LEADFLOW_CONFIG and PUBLIC_URL: rebuild after every configuration change and upload it with
    `hs project upload`.
    """
    from app.app_build_report import AppBuildError, build_project, report_lines, write_project
    from app.cli_errors import UserInputError
    from app.rules import load_configuration
    from app.settings import app_location

    location = app_location()
    config = load_configuration(location.leadflow_config)
    public_url = str(location.public_url) if location.public_url is not None else None
    try:
        written = write_project(build_project(config, public_url, name), out)
    except AppBuildError as exc:
        raise UserInputError(str(exc)) from None
    for line in report_lines(written, out):
        click.echo(line)


@main.command()
@click.option("--project", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="The uploaded project (`leadflow app build --out`): compare its subscriptions.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of lines.")
def doctor(project: Path | None, as_json: bool) -> None:
    """Check the running installation against the portal, read-only.

    The token and its scopes, Leadflow's properties, the owners, pipelines and lead statuses config/ names, Redis,
    the ledger, the workers, the clock and a signed round trip to PUBLIC_URL. Exit status 1 when any check fails.
    """
    import json

    from app.cli_errors import UserInputError
    from app.doctor_report import ProjectUnreadable, read_project_webhooks
    from app.sync.doctor import DoctorContext, run_doctor

    try:
        webhooks = read_project_webhooks(project) if project is not None else None
    except ProjectUnreadable as exc:
        raise UserInputError(str(exc)) from None
    report = run_doctor(_container(migrate=False).provide(DoctorContext), webhooks)
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2))
    else:
        for line in report.lines():
            click.echo(line)
    sys.exit(report.exit_status)


@main.command()
@click.option("--all", "everyone", is_flag=True, help="Re-score every contact of the portal, streamed page by page.")
@click.option("--wait", is_flag=True, help="With --all: wait for the workers to finish the run, showing progress.")
@click.argument("contact_ids", nargs=-1, callback=_contact_ids)
def rescore(everyone: bool, wait: bool, contact_ids: tuple[str, ...]) -> None:
    """Re-score the named contacts, or the whole portal with --all.

    Named contacts are marked dirty for the workers; --all re-scores every contact (after a model change).
    """
    if everyone and contact_ids:
        raise click.UsageError("--all and contact ids cannot be combined: pass --all, or name contact ids")
    if not everyone and not contact_ids:
        raise click.UsageError("name contact ids, or pass --all")
    if wait and not everyone:
        raise click.UsageError("--wait goes with --all")
    container = _container()
    if contact_ids:
        container.worklist.mark_dirty(contact_ids, container.clock().timestamp())
        container.worklist.schedule("drain")
        click.echo(f"{len(contact_ids)} contacts marked for re-scoring")
        return
    _rescore_all(container, wait)


def _start_rescore(container: Container) -> str:
    """Start re-scoring the whole portal (`rescore --all`, `model publish`); return the run's id."""
    import uuid

    from app.sync.rescore import RescoreContext, start_rescore

    run_id = uuid.uuid4().hex[:12]
    start_rescore(container.provide(RescoreContext), run_id)
    return run_id


def _rescore_all(container: Container, wait: bool) -> None:
    import time

    run_id = _start_rescore(container)
    progress = container.rescore_runs().progress(run_id)
    click.echo(f"re-score {run_id}: {progress.contacts_total} contacts, {progress.companies_total} companies")
    if not wait:
        click.echo("the workers re-score them in the background")
        return
    runs = container.rescore_runs()
    with click.progressbar(length=progress.contacts_total, label="Re-scoring", file=sys.stderr) as bar:
        while not progress.finished:
            time.sleep(0.5)
            done_before = progress.contacts
            progress = runs.progress(run_id)
            bar.update(progress.contacts - done_before)
    seconds = (progress.finished_at or progress.started_at) - progress.started_at
    click.echo(
        f"re-scored {progress.contacts} contacts in {seconds:.1f} s: {progress.written} written, "
        f"{progress.busy} left to a running drain, {progress.pages_failed} pages failed "
        f"({progress.company_pages} company pages cached)"
    )
    if progress.pages_failed:
        raise click.ClickException(
            f"{progress.pages_failed} pages failed; their contacts went back to the drain (`leadflow failed` says why)"
        )


@main.group()
def model() -> None:
    """Publish scoring model versions and list them.

    Publishing records a version of config/scoring.yaml in the ledger and re-scores the portal
    (docs/scoring-model.md, "Publishing a model").
    """


@model.command("publish")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--no-rescore", is_flag=True, help="Record the version without re-scoring the portal.")
@click.option("--dry-run", is_flag=True, help="Validate and compare with the published versions; record nothing.")
def model_publish(path: Path, no_rescore: bool, dry_run: bool) -> None:
    """Validate PATH, record its version and its diff in the ledger, and re-score the portal.

    PATH must be the scoring.yaml the service loads (LEADFLOW_CONFIG's), or have its content. A version name
    published before with other content is refused: bump `model`.
    """
    from app.model_report import ModelInputError, publish_lines
    from app.rules import ConfigError
    from app.sync.scoring.publishing import PublishRefused, publish_model

    try:
        container = _container()
        rescore = None if no_rescore else functools.partial(_start_rescore, container)
        report = publish_model(
            container.ledger, path, container.settings.leadflow_config, datetime.now(UTC), dry_run=dry_run,
            rescore=rescore,
        )  # fmt: skip
    except (ConfigError, PublishRefused) as exc:
        raise ModelInputError(str(exc)) from None
    for line in publish_lines(report, dry_run):
        click.echo(line)
    if report.rescore_error is not None:
        raise click.ClickException(
            f"model {report.version!r} is published, but the re-score could not start ({report.rescore_error}): "
            "run `leadflow rescore --all`"
        )


@model.command("history")
@click.option("--as-of", "as_of", default=None, metavar="TIME", help="Count KPIs up to this time (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of lines.")
def model_history(as_of: str | None, as_json: bool) -> None:
    """List the published model versions, newest first, with the KPIs under each.

    Each version's date, source, diff size, re-score and the backtests it was the candidate of, and the MQLs,
    MQL→SQL, sales acceptance and wins of the lead cycles that became MQLs under it (docs/kpis.md's definitions).
    """
    from app.cli_errors import option_instant
    from app.model_report import history_output

    moment = option_instant(as_of, "--as-of") or datetime.now(UTC)
    container = _container()
    versions = container.ledger.models.published()
    backtests = container.ledger.backtests.runs()
    click.echo(history_output(versions, _ledger_facts(container), moment, as_json, backtests))


@main.command()
@click.option("--dry-run", is_flag=True, help="Accepted for scripts: route only ever previews, it changes nothing.")
@click.option("--next", "count", default=3, show_default=True, type=click.IntRange(1, 100),
              help="How many next leads to show per territory.")  # fmt: skip
def route(dry_run: bool, count: int) -> None:
    """Preview who would receive the next leads, and why.

    Per territory of routing.yaml, from the ledger's routing state; it changes nothing.
    """
    from app.rules import preview
    from app.rules.handover.types import RoutingState

    container = _container()
    if container.routing_config is None:
        raise click.ClickException("routing needs config/handover.yaml and config/routing.yaml")
    team = {owner.id: owner for owner in container.gateway().owners()}
    snapshot = container.ledger.handovers.routing_state()
    state = RoutingState(snapshot.cursors, snapshot.open_handovers)
    decisions = preview(container.routing_config, [], team, state, container.clock(), per_territory=count)
    territories = [t.id for t in container.routing_config.territories for _ in range(count)]
    for territory, decision in zip(territories, decisions, strict=True):
        owner = team.get(decision.owner_id or "")
        who = owner.name if owner else "nobody"
        click.echo(f"{territory:<16} {who:<24} {decision.reason}")


@main.command()
@click.option("--requeue", is_flag=True, help="Put the failed jobs (all, or JOB_IDS) back on the queue.")
@click.argument("job_ids", nargs=-1)
def failed(requeue: bool, job_ids: tuple[str, ...]) -> None:
    """List the jobs that failed after RQ's retries, or requeue them."""
    from app.failed_jobs import list_failed, requeue_failed

    queue = _container().queue
    if requeue:
        click.echo(f"requeued {requeue_failed(queue, list(job_ids) or None)} job(s)")
        return
    jobs = list_failed(queue)
    for job in jobs:
        ended = job.ended_at.isoformat(timespec="seconds") if job.ended_at else "-"
        click.echo(f"{job.id}  {job.function}  failed {ended}  retries left {job.retries_left or 0}")
        click.echo(f"    {job.exc_summary}")
    click.echo(f"{len(jobs)} failed job(s)")


@main.command()
@click.argument("contact_ids", nargs=-1, required=True, callback=_contact_ids)
def forget(contact_ids: tuple[str, ...]) -> None:
    """Erase what Leadflow holds about contacts (privacy).

    As HubSpot's privacy deletion does, in Leadflow's ledger and worklist; HubSpot itself is not changed.
    """
    container = _container()
    rows = container.ledger.privacy.forget(list(contact_ids), "forget", container.clock())
    container.worklist.forget(list(contact_ids))
    click.echo(f"erased {rows} ledger rows of {len(set(contact_ids))} contact(s); a count-level record remains")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of lines.")
@click.argument("contact_id", callback=_contact_id)
def history(as_json: bool, contact_id: str) -> None:
    """Show a contact's score and stage timeline, with the reasons.

    Oldest first: each score change written to HubSpot, each change of stage (with what caused it and when the
    buyer acted) and each handover, from the ledger.
    """
    from app.history_report import history_json, history_lines

    found = _container().ledger.history.of(contact_id)
    if not found.known:
        raise click.ClickException(f"the ledger holds nothing of contact {contact_id}: never scored, or forgotten")
    click.echo(history_json(found) if as_json else "\n".join(history_lines(found)))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def sla(as_json: bool) -> None:
    """Show the open handovers' SLA clocks by owner.

    Per handover: target, assigned, due, status, business minutes elapsed, reminders, escalations and
    reassignments fired, from the ledger (config/sla.yaml; see docs/sla.md).
    """
    from app.sla_report import sla_json, sla_lines, sla_rows

    container = _container()
    config = container.sla
    if config is None:
        raise click.ClickException("no SLA: config/sla.yaml (with handover.yaml) does not exist")
    rows = sla_rows(config, container.ledger.sla.open_clocks(), container.clock(), _owner_names(container))
    click.echo(sla_json(rows) if as_json else "\n".join(sla_lines(rows)))


def _owner_names(container: Container) -> dict[str, str]:
    """Return the owners' names (one read of HubSpot's owners, shared with the workers' copy for five minutes);
    without them, say why on stderr and show the ids."""
    from app.sync.hubspot.errors import HubSpotError

    if container.handovers is None:
        return {}
    try:
        return {owner.id: owner.name for owner in container.handovers.team().values()}
    except HubSpotError as error:
        click.echo(f"owner names unavailable ({error}); showing owner ids", err=True)
        return {}


@main.command("dash-user")
@click.argument("name")
@click.password_option("--password", help="The password (asked for, twice, when not given).")
def dashboard_user(name: str, password: str) -> None:
    """Print a DASHBOARD_USERS entry for a dashboard account.

    The entry is NAME:HASH with werkzeug's scrypt hash; join several with commas (docs/dashboard.md).
    """
    from werkzeug.security import generate_password_hash

    if not name or any(character in name for character in ":,") or name != name.strip():
        raise click.BadParameter("a name without ':' or ',' and without surrounding spaces", param_hint="NAME")
    click.echo(f"{name}:{generate_password_hash(password)}")


@main.command()
@click.option("--facts", "facts", default=None, type=click.Path(path_type=Path, dir_okay=False),
              help="Compute the report from this JSON Lines file of lead-cycle facts, not the ledger.")  # fmt: skip
@click.option("--backfill", is_flag=True,
              help="Once, for a portal that ran before Leadflow: read the lead cycles before it from HubSpot's "
                   "property histories into the ledger, and say what could not be reconstructed.")  # fmt: skip
@click.option("--export-facts", "export", default=None, type=click.Path(path_type=Path, dir_okay=False),
              help="Write the ledger's lead-cycle facts to this file (JSON Lines) and report nothing.")  # fmt: skip
@click.option("--from", "window_from", default=None, metavar="DATE|TIME",
              help="Start of the window, included (default: --to minus 28 days).")  # fmt: skip
@click.option(
    "--to", "window_to", default=None, metavar="DATE|TIME", help="End of the window, excluded (default: --as-of)."
)
@click.option("--as-of", "as_of", default=None, metavar="TIME",
              help="Count only what happened up to this time (default: now, UTC).")  # fmt: skip
@click.option("--by", type=click.Choice(["week", "month"]), default=None,
              help="Also cut the window into ISO weeks or calendar months (UTC).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the contract's JSON object instead of a table.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the periods (or the window) as CSV.")
@click.option("--breakdown", "breakdowns", multiple=True, type=click.Choice(["owner", "grade", "model", "track"]),
              help="Also break the figures down by owner, grade at MQL, scoring model or nurture track "
                   "(repeatable).")  # fmt: skip
@click.option("--ci", is_flag=True, help="Show each rate's Wilson 95 % interval.")
def kpis(facts: Path | None, backfill: bool, export: Path | None, window_from: str | None, window_to: str | None,
         as_of: str | None, by: str | None, as_json: bool, as_csv: bool, breakdowns: tuple[str, ...],
         ci: bool) -> None:  # fmt: skip
    """Report the funnel KPIs of a window, from the ledger.

    Leads, MQLs, SQLs, handovers, acceptance, deals and wins, their rates, the SLA met, response times, grades and
    rejection reasons, exactly as docs/kpis.md defines them. Dates and times are ISO 8601; a date is 00:00 UTC, a
    time without an offset is UTC. The window is [--from, --to).
    """
    from app.kpis_report import KpisOptions, backfill_output, export_facts, kpis_output

    if backfill:
        from app.sync.kpis.backfill import BackfillContext

        click.echo(backfill_output(_container().provide(BackfillContext), lambda line: click.echo(line, err=True)))
        return
    if export is not None:
        click.echo(export_facts(export, _ledger_facts(_container())))
        return
    period: Period | None = "week" if by == "week" else "month" if by == "month" else None
    chosen = tuple(b for b in ("owner", "grade", "model", "track") if b in breakdowns)
    options = KpisOptions(facts, window_from, window_to, as_of, period, as_json, chosen, ci, as_csv)
    container = functools.cache(_container)  # built only when the ledger or the owners' names are needed
    click.echo(
        kpis_output(
            options, datetime.now(UTC), lambda: _ledger_facts(container()), lambda: _owner_names(container()),
            lambda: _ledger_offers(container()), lambda: _published_dates(container()),
        )
    )  # fmt: skip


def _published_dates(container: Container) -> dict[str, datetime]:
    """When each model version was published (the KPI breakdown by model)."""
    from app.model_report import published_dates

    return published_dates(container.ledger.models.published())


def _ledger_offers(container: Container) -> list[OfferRecord]:
    """The ledger's nurture offers (the KPI breakdown by track, `leadflow nurture --report`)."""
    return container.ledger.nurture.records()


@main.command()
@click.option("--facts", "facts", default=None, type=click.Path(path_type=Path, dir_okay=False),
              help="Compute the report from this JSON Lines file of lead-cycle facts, not the ledger.")  # fmt: skip
@click.option("--from", "window_from", default=None, metavar="DATE|TIME",
              help="Only MQLs from this time on, included (default: every MQL).")  # fmt: skip
@click.option("--to", "window_to", default=None, metavar="DATE|TIME",
              help="Only MQLs before this time, excluded (default: every MQL up to --as-of).")  # fmt: skip
@click.option("--as-of", "as_of", default=None, metavar="TIME",
              help="Count only what happened up to this time (default: now, UTC).")  # fmt: skip
@click.option("--mature-days", default=DEFAULT_MATURE_DAYS, show_default=True, type=click.IntRange(0, 36_500),
              help="Days after MQL until a lead's deal and win are read (before: pending).")  # fmt: skip
@click.option("--band-width", default=None, type=click.IntRange(1, 1_000_000),
              help="Width of the score bands, in points (default: 10).")  # fmt: skip
@click.option("--quantiles", default=None, type=click.IntRange(2, 100),
              help="Cut the score bands at quantiles of the MQLs' scores instead (e.g. 5 for quintiles).")  # fmt: skip
@click.option("--compare-from", default=None, metavar="DATE|TIME",
              help="Compare the window's scores with MQLs from this time (default: the window's halves).")  # fmt: skip
@click.option("--compare-to", default=None, metavar="DATE|TIME",
              help="… up to this time, excluded (with --compare-from).")  # fmt: skip
@click.option("--model-version", "model", default=None, metavar="NAME",
              help="Only the MQLs this model version set (default: all; see `leadflow model history`).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the report as a JSON object instead of text.")
@click.option("--suggest", is_flag=True,
              help="Suggest points instead: per-rule lift, a regression at MQL, a scoring.yaml diff and its backtest "
                   "(needs the calibrate extra).")  # fmt: skip
@click.option("--outcome", type=click.Choice(OUTCOMES), default=None,
              help="With --suggest: the outcome the points should predict (default: won).")  # fmt: skip
@click.option("--write", "write_path", default=None, type=click.Path(path_type=Path, dir_okay=False), metavar="PATH",
              help="With --suggest: write the suggested scoring.yaml here (never the running one).")  # fmt: skip
def calibrate(facts: Path | None, window_from: str | None, window_to: str | None, as_of: str | None,
              mature_days: int, band_width: int | None, quantiles: int | None, compare_from: str | None,
              compare_to: str | None, model: str | None, as_json: bool, suggest: bool,
              outcome: Outcome | None, write_path: Path | None) -> None:  # fmt: skip
    """Report what the score and grade at MQL predicted.

    Acceptance, deals and wins by score band and grade at MQL, lift by decile, AUC, a calibration table, score
    drift and rejection reasons, and whether there are enough outcomes to conclude (docs/calibration.md). With
    --suggest: suggested points for a person to review, never a silent change (docs/calibration.md, Suggestions).
    """
    from app.calibration_report import CalibrateOptions, calibrate_output

    options = CalibrateOptions(facts, window_from, window_to, as_of, mature_days, band_width, quantiles,
                               compare_from, compare_to, as_json, model)  # fmt: skip
    container = functools.cache(_container)  # built only when the ledger's facts are needed
    if suggest or outcome is not None or write_path is not None:
        from app.suggestion_report import suggest_options, suggest_output
        from app.sync.calibration.suggest import SuggestContext

        given = suggest_options(options, suggest, outcome, write_path)
        click.echo(suggest_output(given, datetime.now(UTC), lambda: container().provide(SuggestContext)))
        return
    click.echo(calibrate_output(options, datetime.now(UTC), lambda: _ledger_facts(container())))


@main.command()
@click.option("--model", "model_path", required=True, type=click.Path(path_type=Path, dir_okay=False),
              metavar="PATH", help="The candidate scoring model (a scoring.yaml), validated first.")  # fmt: skip
@click.option("--from", "window_from", default=None, metavar="DATE|TIME",
              help="Count from this time on, included (default: each contact's first signal).")  # fmt: skip
@click.option("--to", "window_to", default=None, metavar="DATE|TIME",
              help="Count up to this time, excluded (default: now, UTC).")  # fmt: skip
@click.option("--mature-days", default=DEFAULT_MATURE_DAYS, show_default=True, type=click.IntRange(0, 36_500),
              help="Days after MQL when a lead without a deal counts as without one (before: pending).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the report as a JSON object instead of text.")
@click.option("--no-record", "no_record", is_flag=True,
              help="Do not record the run in the ledger (the dashboard shows the last one recorded).")  # fmt: skip
def backtest(model_path: Path, window_from: str | None, window_to: str | None, mature_days: int,
             as_json: bool, no_record: bool) -> None:  # fmt: skip
    """Compare a candidate scoring model with the current one.

    Each contact's stage over time under either model (the same code as `leadflow assess --at`, with the values
    from HubSpot's property history where it has one): MQLs and SQLs per week, stages gained and lost, the earliest
    qualification, handovers per owner pool and, on leads with known outcomes, acceptance, deals and won, and a
    verdict (docs/calibration.md, Backtest). The run is recorded in the ledger unless --no-record. An invalid
    candidate ends the command with exit status 2.
    """
    from app.backtest_report import BacktestInput, BacktestOptions, run_command
    from app.rules.calibration.backtest import BacktestReport
    from app.rules.calibration.backtest_runs import BacktestRun
    from app.sync.calibration.backtest import BacktestContext, run_backtest
    from app.sync.calibration.workers import available_workers

    container = functools.cache(_container)  # built only once the input is valid

    def replay(given: BacktestInput) -> BacktestReport:
        c = container()
        context = BacktestContext(c.ledger, c.gateway, c.model, c.handover_config, c.routing_config)
        return run_backtest(context, given.candidate, given.window, given.horizon, workers=available_workers())

    def record(run: BacktestRun) -> int:
        return container().ledger.backtests.record(run)

    options = BacktestOptions(model_path, window_from, window_to, mature_days, as_json, record=not no_record)
    click.echo(run_command(options, datetime.now(UTC), replay, record))


@main.command()
@click.option("--vary", type=click.Choice(["engagement", "fit", "score"]), default="engagement", show_default=True,
              help="The score whose MQL threshold (`SCORE >= N` in the mql stage's `when`) is searched.")  # fmt: skip
@click.option("--step", default=5.0, show_default=True, type=click.FloatRange(0, min_open=True),
              help="The grid of thresholds: 0, STEP, 2·STEP, … up to the score's limit.")  # fmt: skip
@click.option("--from", "window_from", default=None, metavar="DATE|TIME",
              help="Count from this time on, included (default: 12 weeks before --to).")  # fmt: skip
@click.option("--to", "window_to", default=None, metavar="DATE|TIME",
              help="Count up to this time, excluded (default: now, UTC).")  # fmt: skip
@click.option("--percentile", default=100, show_default=True, type=click.IntRange(1, 100),
              help="Fits when this percentile of the weeks' MQLs is within capacity (100: every week).")  # fmt: skip
@click.option("--mature-days", default=DEFAULT_MATURE_DAYS, show_default=True, type=click.IntRange(0, 36_500),
              help="Days after MQL when a lead without a deal counts as without one (before: pending).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the answer as a JSON object instead of text.")
def threshold(vary: str, step: float, window_from: str | None, window_to: str | None, percentile: int,
              mature_days: int, as_json: bool) -> None:  # fmt: skip
    """Find the lowest MQL threshold that fits sales' capacity.

    The capacity comes from routing.yaml (`weekly_capacity`, else owners' caps × response targets a week, an upper
    bound); each threshold tried is backtested against the ledger's contacts, and the answer shows its weekly MQLs
    and the conversion it would have given next to the current threshold's (docs/calibration.md). A model without
    such a threshold, an unknown capacity or a window shorter than a week ends the command with exit status 2.
    """
    from app.rules.calibration.sweep import Sweep
    from app.rules.configuration import load_configuration
    from app.sync.calibration.backtest import BacktestContext
    from app.sync.calibration.capacity import search_threshold
    from app.sync.calibration.workers import available_workers
    from app.threshold_report import ThresholdInput, ThresholdOptions, run_command

    def search(given: ThresholdInput) -> Sweep:
        container = _container()
        context = BacktestContext(container.ledger, container.gateway, container.model, container.handover_config,
                                  container.routing_config)  # fmt: skip
        capacity = given.capacity.weekly or 0
        return search_threshold(context, given.site, given.grid, capacity, given.window, given.scale, given.horizon,
                                workers=available_workers())  # fmt: skip

    options = ThresholdOptions(vary, step, window_from, window_to, percentile, mature_days, as_json)
    config = load_configuration(config_directory())  # checked before the ledger or HubSpot is asked anything
    click.echo(run_command(options, config, datetime.now(UTC), search))


def _ledger_facts(container: Container) -> list[LeadCycle]:
    """The ledger's lead cycles; a contact entering the model's `mql` stage or one ranked above it is qualified."""
    from app.sync.kpis.facts import ledger_facts

    return ledger_facts(container.ledger, container.model.qualified_stages)


@main.command()
@click.option("--report", is_flag=True, help="Report how well the nurture steps work (docs/nurture.md, Measuring).")
@click.option("--explain", "contact_id", default=None, metavar="CONTACT_ID",
              help="Explain the plan the next drain would make for this contact, with every reason.")  # fmt: skip
@click.option("--from", "window_from", default=None, metavar="DATE|TIME",
              help="Count only offers made from this time on (default: every offer).")  # fmt: skip
@click.option("--to", "window_to", default=None, metavar="DATE|TIME",
              help="Count only offers made before this time (default: up to --as-of).")  # fmt: skip
@click.option("--as-of", "as_of", default=None, metavar="TIME",
              help="Count (or with --explain: plan) as of this time (default: now, UTC).")  # fmt: skip
@click.option("--mql-within", "mql_within", default=DEFAULT_MQL_WITHIN_DAYS, show_default=True,
              type=click.IntRange(1, 3650), metavar="DAYS",
              help="An offer counts as converted when an MQL followed within DAYS.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of lines.")
def nurture(report: bool, contact_id: str | None, window_from: str | None, window_to: str | None, as_of: str | None,
            mql_within: int, as_json: bool) -> None:  # fmt: skip
    """Explain a contact's nurture plan, or report how nurturing works.

    With --explain CONTACT_ID: the state, track and next step the next drain would plan for the contact (HubSpot's
    values now, the ledger's scores, engagements and offers), every reason, and its offers. With --report: per step
    and per track, reach, completion, next-step and MQL-within-N-days rates (each with its n and Wilson 95 %
    interval), the median time to the next step, and the step-to-step transitions showing where paths stop.
    Dates and times are ISO 8601; a date is 00:00 UTC.
    """
    from app.nurture_report import NurtureReportOptions, nurture_output, report_moments

    if report == (contact_id is not None):
        raise click.UsageError("say what to show: --explain CONTACT_ID (a contact's plan) or --report (the steps)")
    if contact_id is not None and (window_from or window_to or as_json or mql_within != DEFAULT_MQL_WITHIN_DAYS):
        raise click.UsageError("--explain takes only --as-of (--from, --to, --mql-within and --json are --report's)")
    if contact_id is not None:
        _explain_nurture(_check_contact_id(contact_id, "--explain"), as_of)
        return
    options = NurtureReportOptions(window_from, window_to, as_of, mql_within, as_json)
    now = datetime.now(UTC)
    report_moments(options, now)  # input the user can fix fails before the ledger is opened
    container = _container()
    click.echo(nurture_output(options, now, lambda: _ledger_offers(container), container.nurture_config))


def _explain_nurture(contact_id: str, as_of: str | None) -> None:
    from app.cli_errors import option_instant
    from app.sync.nurture.explain import NurtureExplainContext, UnknownContact, explain_contact

    at = option_instant(as_of, "--as-of")
    container = _container()
    if container.nurture_config is None:
        raise click.ClickException("no nurture: config/nurture.yaml does not exist")
    try:
        lines = explain_contact(container.provide(NurtureExplainContext), contact_id, at)
    except UnknownContact as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("\n".join(lines))


@main.command()
@click.option("--replay", is_flag=True, help="Re-validate the events IDS; store those now acceptable.")
@click.option("--drop", is_flag=True, help="Delete the events IDS.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000), help="Events to list.")
@click.argument("ids", nargs=-1, type=int)
def quarantine(replay: bool, drop: bool, limit: int, ids: tuple[int, ...]) -> None:
    """Show, replay or drop quarantined webhook events.

    Events set aside for their shape, newest first; --replay stores those now acceptable, --drop deletes them.
    """
    if replay and drop:
        raise click.UsageError("--replay and --drop exclude each other")
    if (replay or drop) and not ids:
        raise click.UsageError("name the quarantined events by id")
    container = _container()
    if drop:
        click.echo(f"dropped {container.ledger.quarantine.drop(list(ids))} quarantined event(s)")
    elif replay:
        _replay_quarantined(container, list(ids))
    else:
        _list_quarantined(container, limit)


def _replay_quarantined(container: Container, ids: list[int]) -> None:
    report = container.webhook_intake().replay(ids)
    for event_id, reason in sorted(report.refused.items()):
        click.echo(f"{event_id}  still refused: {reason}")
    unknown = sorted(set(ids) - set(report.replayed) - set(report.refused))
    if unknown:
        click.echo(f"not quarantined: {' '.join(map(str, unknown))}")
    click.echo(f"replayed {len(report.replayed)} event(s); {len(report.refused)} still refused")


def _list_quarantined(container: Container, limit: int) -> None:
    entries = container.ledger.quarantine.entries(limit)
    for entry in entries:
        received = entry.received_at.isoformat(timespec="seconds")
        replayed = f"  replayed {entry.replayed_at.isoformat(timespec='seconds')}" if entry.replayed_at else ""
        click.echo(f"{entry.id}  {received}  {entry.reason}{replayed}")
        click.echo(f"    {_shortened(entry.event, 100)}")
    click.echo(f"{len(entries)} quarantined event(s) shown")


def _shortened(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@main.command()
def status() -> None:
    """Show the worklist, the queue and the ledger at a glance."""
    from app.rules.nurture.plan import NURTURE_STATES

    container = _container()
    counts = container.ledger.counts()
    click.echo(f"dirty contacts      {container.worklist.dirty_count()}")
    click.echo(f"being drained       {container.worklist.claimed_count()}")
    click.echo(f"queued jobs         {container.queue.count}")
    click.echo(f"failed jobs         {container.queue.failed_job_registry.count}")
    click.echo(f"signals             {counts.signals} ({counts.pending_signals} unprocessed)")
    for kind, count in sorted(counts.by_kind.items()):
        click.echo(f"  {kind:<18}{count}")
    click.echo(f"engagements         {counts.engagements}")
    click.echo(f"contacts assessed   {counts.contacts}")
    click.echo(f"quarantined events  {counts.quarantined} (leadflow quarantine)")
    if container.nurture_config is not None:
        standing = container.ledger.nurture.count_standings(container.clock())
        states = ", ".join(f"{standing.get(state, 0)} {state}" for state in NURTURE_STATES)
        click.echo(f"nurture             {states} ({standing['due']} due now)")
    for name, value in sorted(container.worklist.event_counts().items()):
        click.echo(f"webhook {name:<28} {value}")


@main.command()
@click.option("--contacts", default=300, show_default=True, type=click.IntRange(10, 20_000), help="Contacts to seed.")
@click.option("--days", default=60, show_default=True, type=click.IntRange(1, 365), help="Simulated days.")
@click.option("--seed", default=7, show_default=True, type=int, help="The same seed gives the same funnel.")
@click.option("--snapshot", default="demo-dashboard.html", show_default=True, type=click.Path(path_type=Path),
              help="Where to write the run's dashboard as one self-contained HTML file.")  # fmt: skip
@click.option("--serve", is_flag=True, help="Then serve the dashboard on the demo's data until Ctrl-C.")
@click.option("--port", default=8050, show_default=True, type=click.IntRange(0, 65535), help="With --serve.")
def demo(contacts: int, days: int, seed: int, snapshot: Path, serve: bool, port: int) -> None:
    """Simulate a portal's buyers against the twin; print the funnel.

    Weeks of buyers, scored and handed over by Leadflow in one process (what `make demo` runs).
    """
    from app.demo import run_demo

    settings = _settings(leadflow_env="demo")
    run_demo(
        contacts=contacts,
        days=days,
        seed=seed,
        echo=click.echo,
        progress=_progress,
        redis_url=settings.redis_url_if_set(),
        database_url=settings.database_url_if_set(),
        snapshot=snapshot,
        serve_port=port if serve else None,
    )


@main.command()
@click.option("--full", is_flag=True, help="Full sizes (a 100,000-contact re-score) instead of the quick ones.")
@click.option("--only", "sections", multiple=True, type=click.Choice(BENCH_SECTIONS), help="Run only this section.")
@click.option("--json", "json_path", default="bench-results.json", show_default=True, type=click.Path(path_type=Path),
              help="Where to write the figures as JSON.")  # fmt: skip
def bench(full: bool, sections: tuple[str, ...], json_path: Path) -> None:
    """Benchmark Leadflow against the twin with HubSpot's limits.

    Uses real Redis and PostgreSQL and prints the table (docs/performance.md).
    """
    from bench.runner import run_bench

    run_bench(sections or BENCH_SECTIONS, quick=not full, json_path=json_path, echo=click.echo)


@main.command()
def env() -> None:
    """Print a .env for running Leadflow against the twin.

    The settings `leadflow twin` expects (`leadflow env > .env`, then `set -a; . ./.env; set +a`); the repository's
    .env.example holds the same text.
    """
    from app.env_example import ENV_EXAMPLE

    click.echo(ENV_EXAMPLE, nl=False)


@contextmanager
def _progress(length: int, label: str) -> Iterator[Callable[[int], None]]:
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield bar.update
