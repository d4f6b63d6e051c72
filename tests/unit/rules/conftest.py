"""Fixtures of the rules tests: the shipped configuration and a parser for small YAML models."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from app.rules import ScoringModel, SignalRules, load_scoring_model, load_signal_rules, parse_scoring_model

CONFIG = Path(__file__).resolve().parents[3] / "config"


@pytest.fixture(scope="session")
def config_dir() -> Path:
    return CONFIG


@pytest.fixture(scope="session")
def default_model() -> ScoringModel:
    return load_scoring_model(CONFIG / "scoring.yaml")


@pytest.fixture(scope="session")
def default_signals() -> SignalRules:
    return load_signal_rules(CONFIG / "signals.yaml")


@pytest.fixture(scope="session")
def model_from() -> Callable[[str], ScoringModel]:
    """Return a function that parses an indented YAML snippet as a scoring model."""

    def parse(text: str) -> ScoringModel:
        return parse_scoring_model(textwrap.dedent(text), "test.yaml")

    return parse
