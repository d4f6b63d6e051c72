"""A configuration directory, loaded whole: the scoring model and signal rules, and the handover and routing
rules when the directory has handover.yaml (handovers are optional), with response SLAs when it also has sla.yaml,
and nurture tracks when it has nurture.yaml (nurture is optional too). Every file goes through app/rules/config.py."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.rules.config import load_config, load_optional_config
from app.rules.errors import ConfigError
from app.rules.handover.config import HandoverConfig, handover_file
from app.rules.handover.routing_config import ROUTING, RoutingConfig
from app.rules.nurture.config import nurture_file
from app.rules.nurture.policy import NurtureConfig
from app.rules.scoring.config import SCORING, SIGNALS
from app.rules.scoring.model import ScoringModel
from app.rules.scoring.signals import SignalRules
from app.rules.sla.config import sla_file, sla_grades
from app.rules.sla.policy import SlaConfig


@dataclass(frozen=True)
class Configuration:
    model: ScoringModel
    signals: SignalRules
    handover: HandoverConfig | None = None
    routing: RoutingConfig | None = None
    sla: SlaConfig | None = None
    nurture: NurtureConfig | None = None


def load_configuration(directory: Path) -> Configuration:
    """Load, validate and compile every configuration file of `directory`; a problem is a ConfigError."""
    model, signals = load_config(SCORING, directory), load_config(SIGNALS, directory)
    labels = {stage.id: stage.label for stage in model.stages}
    handover = load_optional_config(handover_file(model.stage_ids, labels), directory)
    sla = load_optional_config(sla_file(model.stage_ids, sla_grades(model)), directory)
    nurture = load_optional_config(nurture_file(model), directory)
    if handover is None:
        if sla is not None:
            raise ConfigError(str(directory / "sla.yaml"), None, "SLAs time handovers: handover.yaml is missing")
        return Configuration(model, signals, nurture=nurture)
    routing = load_optional_config(ROUTING, directory)
    if routing is None:
        raise ConfigError(str(directory / ROUTING.name), None, "handover.yaml routes leads: this file is missing")
    if sla is not None:
        _check_sla_stages(sla, handover, str(directory / "sla.yaml"))
    return Configuration(model, signals, handover, routing, sla, nurture)


def _check_sla_stages(sla: SlaConfig, handover: HandoverConfig, file: str) -> None:
    """Reject a target for a stage that hands no lead to an owner (no clock would ever start)."""
    for target in sla.targets:
        stage = handover.stage(target.stage)
        if stage is None or stage.owner == "none":
            problem = f"handover.yaml hands stage {target.stage!r} to no owner: no clock would start"
            raise ConfigError(file, target.id, problem, subject="target")
