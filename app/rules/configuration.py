"""A configuration directory, loaded whole: the scoring model and signal rules, and the handover and routing
rules when the directory has handover.yaml (handovers are optional). Every file goes through app/rules/config.py."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.rules.config import load_config, load_optional_config
from app.rules.errors import ConfigError
from app.rules.handover.config import HandoverConfig, handover_file
from app.rules.handover.routing_config import ROUTING, RoutingConfig
from app.rules.scoring.config import SCORING, SIGNALS
from app.rules.scoring.model import ScoringModel
from app.rules.scoring.signals import SignalRules


@dataclass(frozen=True)
class Configuration:
    model: ScoringModel
    signals: SignalRules
    handover: HandoverConfig | None = None
    routing: RoutingConfig | None = None


def load_configuration(directory: Path) -> Configuration:
    """Load, validate and compile every configuration file of `directory`; a problem is a ConfigError."""
    model, signals = load_config(SCORING, directory), load_config(SIGNALS, directory)
    labels = {stage.id: stage.label for stage in model.stages}
    handover = load_optional_config(handover_file(model.stage_ids, labels), directory)
    if handover is None:
        return Configuration(model, signals)
    routing = load_optional_config(ROUTING, directory)
    if routing is None:
        raise ConfigError(str(directory / ROUTING.name), None, "handover.yaml routes leads: this file is missing")
    return Configuration(model, signals, handover, routing)
