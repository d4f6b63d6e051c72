"""`leadflow`: the one command line. Each command translates its options into a call of the shell."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from app.rules import ConfigError, load_scoring_model, run_assess
from app.settings import SettingsError, load_settings

if TYPE_CHECKING:
    from app.bootstrap import Container


def _container() -> Container:
    from app.bootstrap import build_container

    try:
        return build_container(load_settings())
    except (SettingsError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Leadflow: qualifies B2B leads inside HubSpot (fit and engagement scores, stages, reasons)."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def web(host: str, port: int) -> None:
    """Run the webhook receiver on Flask's development server (production: gunicorn 'app:create_app()')."""
    from app import create_app
    from app.logs import configure_logging

    configure_logging()
    create_app(container=_container()).run(host=host, port=port)


@main.command()
@click.option("--burst", is_flag=True, help="Work until the queue is empty, then exit.")
def worker(burst: bool) -> None:
    """Run an RQ worker (with the scheduler) that drains dirty contacts."""
    from app.logs import configure_logging
    from app.workers import run_worker

    configure_logging()
    run_worker(_container(), burst=burst)


@main.command()
def clock() -> None:
    """Run the one periodic-job process (RQ's cron scheduler); run exactly one, with TZ=UTC."""
    from app.clock import build_cron
    from app.logs import configure_logging

    configure_logging()
    container = _container()
    build_cron(container.redis, container.settings.queue_name).start()


@main.command()
@click.option("--port", default=8765, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--token", "tokens", multiple=True, default=["twin-token"], show_default=True,
              help="Access token the twin accepts (repeatable).")  # fmt: skip
def twin(port: int, host: str, tokens: tuple[str, ...]) -> None:
    """Run the HubSpot twin: a local stand-in for HubSpot's API (for trials, tests and benchmarks)."""
    from hubspot_twin import run

    click.echo(f"HubSpot twin on http://{host}:{port} (set HUBSPOT_API_BASE to it; tokens: {', '.join(tokens)})")
    run(port=port, host=host, tokens=set(tokens))


@main.command()
@click.option("--config", "config_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("config"),
              show_default=True, help="Directory holding scoring.yaml.")  # fmt: skip
@click.option("--at", "at", default=None, help="Evaluation time, ISO 8601 (default: now).")
@click.argument("source", type=click.File("r"), default="-")
def assess(config_dir: Path, at: str | None, source: TextIO) -> None:
    """Assess contacts from JSON Lines (a file or standard input); one JSON line out per line in."""
    try:
        model = load_scoring_model(config_dir / "scoring.yaml")
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
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
    """Create the "Lead scoring (Leadflow)" property group and score properties in the portal (idempotent)."""
    from app.sync.errors import HubSpotError
    from app.sync.setup import SetupConflict, run_setup

    container = _container()
    try:
        report = run_setup(container.gateway(), container.ledger, container.model, container.clock)
    except (SetupConflict, HubSpotError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"property group: {'created' if report.group_created else 'present'}")
    for name in report.created:
        click.echo(f"created   {name}")
    for name, values in report.options_added.items():
        click.echo(f"options   {name}: added {', '.join(values)}")
    for name in report.unchanged:
        click.echo(f"unchanged {name}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    contact_props, company_props = container.model.referenced_properties()
    click.echo("\nSubscribe the app's webhooks to contact.creation, contact.deletion, contact.merge,")
    click.echo("contact.privacyDeletion, contact.associationChange, and contact.propertyChange for:")
    click.echo("  " + ", ".join(sorted(contact_props)) + " (plus the properties config/signals.yaml listens to)")
    if company_props:
        click.echo("and company.propertyChange for: " + ", ".join(sorted(company_props)))


@main.command()
@click.option("--all", "everyone", is_flag=True, help="Re-score every contact of the portal.")
@click.argument("contact_ids", nargs=-1)
def rescore(everyone: bool, contact_ids: tuple[str, ...]) -> None:
    """Mark contacts dirty so the workers re-score them (all of them with --all)."""
    from app.sync.rescore import contact_id_pages

    if not everyone and not contact_ids:
        raise click.UsageError("name contact ids, or pass --all")
    container = _container()
    marked = 0
    pages = contact_id_pages(container.gateway()) if everyone else iter([list(contact_ids)])
    with click.progressbar(pages, label="Marking contacts dirty", show_pos=True) as bar:
        for page in bar:
            container.worklist.mark_dirty(page, container.clock().timestamp())
            container.worklist.schedule("drain")
            marked += len(page)
    click.echo(f"{marked} contacts marked for re-scoring")


@main.command()
def status() -> None:
    """Show the worklist, the queue and the ledger at a glance."""
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
    for name, value in sorted(container.worklist.event_counts().items()):
        click.echo(f"webhook {name:<28} {value}")


@main.command()
@click.option("--contacts", default=36, show_default=True, type=int, help="How many contacts to seed.")
@click.option("--seed", default=7, show_default=True, type=int)
def demo(contacts: int, seed: int) -> None:
    """Run the whole pipeline in one process against the twin and print the resulting scores."""
    from app.demo import run_demo

    run_demo(contacts=contacts, seed=seed, echo=click.echo)
