"""`leadflow --help` and `--version` read well: every command has a whole first sentence, every option a help."""

from __future__ import annotations

from importlib.metadata import version

import click
import pytest
from click.testing import CliRunner

from app.cli import main


def test_version_prints_the_installed_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output == f"leadflow, version {version('leadflow')}\n"


def test_the_top_level_help_truncates_no_description() -> None:
    result = CliRunner().invoke(main, ["--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    commands = result.output.split("Commands:\n", 1)[1].splitlines()
    assert len(commands) == len(main.commands)
    for line in commands:
        assert line.rstrip().endswith(".") and not line.rstrip().endswith("..."), line


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_option_of_a_command_has_help(name: str) -> None:
    command = main.commands[name]
    silent = [p.name for p in command.params if isinstance(p, click.Option) and not p.help]
    assert silent == [], f"leadflow {name}: options without help: {silent}"
