"""Publishing a scoring model (`leadflow model publish`): validate the file with the one configuration loader, check
it is the model the service loads, judge it against the versions published (app/rules/scoring/versions.py), record
it in the ledger and start the re-score of the portal.

A file the workers do not load is never published: the ledger would then name a model no score was written with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.ledger.store import Ledger
from app.rules.config import read_config_text
from app.rules.configuration import load_configuration
from app.rules.scoring.config import SCORING, parse_scoring_model
from app.rules.scoring.versions import PublishedVersion, Verdict, content_hash, judge


class PublishRefused(Exception):
    """The model cannot be published as it is: the message says why and what to do (one line)."""


@dataclass(frozen=True)
class PublishReport:
    """What publishing did: the version, the verdict, and the re-score run it started (None: none)."""

    version: str
    verdict: Verdict
    recorded: bool
    rescore_run: str | None = None
    rescore_error: str | None = None  # the re-score could not be started (the version is recorded)


def publish_model(
    ledger: Ledger,
    path: Path,
    config_dir: Path,
    now: datetime,
    *,
    dry_run: bool = False,
    rescore: Callable[[], str] | None = None,
) -> PublishReport:
    """Publish the model of `path`, which must be (or equal) `config_dir`'s scoring.yaml; `rescore` starts the
    re-score of the portal and returns its run id (None: no re-score). A ConfigError when a file is invalid,
    PublishRefused when the model cannot be published."""
    text = read_config_text(path)
    model = parse_scoring_model(text, str(path))
    _check_loaded(path, text, config_dir)
    load_configuration(config_dir)  # the other files must still hold with this model (stages, grades)
    verdict = judge(model.model, text, str(path), ledger.models.published())
    if verdict.decision == "refused":
        raise PublishRefused(f"{path}: {verdict.reason}")
    if verdict.decision == "already" or dry_run:
        return PublishReport(model.model, verdict, recorded=False)
    source = str(path.resolve())
    published = PublishedVersion(model.model, content_hash(text, str(path)), text, now, verdict.diff, source)
    if not ledger.models.record(published):  # a concurrent publisher recorded this name first: judge again
        verdict = judge(model.model, text, str(path), ledger.models.published())
        if verdict.decision == "refused":
            raise PublishRefused(f"{path}: {verdict.reason}")
        return PublishReport(model.model, verdict, recorded=False)
    if rescore is None:
        return PublishReport(model.model, verdict, recorded=True)
    try:
        run_id = rescore()
    except Exception as exc:  # recorded all the same: the model is what the service loads
        return PublishReport(model.model, verdict, recorded=True, rescore_error=f"{type(exc).__name__}: {exc}")
    ledger.models.record_rescore_run(model.model, run_id)
    return PublishReport(model.model, verdict, recorded=True, rescore_run=run_id)


def _check_loaded(path: Path, text: str, config_dir: Path) -> None:
    """Refuse a file that is not the service's scoring.yaml unless its content is the same."""
    loaded = config_dir / SCORING.name
    if path.resolve() == loaded.resolve():
        return
    loaded_text = read_config_text(loaded)
    if content_hash(loaded_text, str(loaded)) != content_hash(text, str(path)):
        raise PublishRefused(
            f"{path} is not the model the service loads ({loaded}, from LEADFLOW_CONFIG, has other content): "
            "the workers would not score with it, so publishing it would be a lie; put it there and publish that"
        )
