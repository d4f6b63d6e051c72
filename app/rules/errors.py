"""Errors of the rules package.

Exception tree::

    ConfigError        a configuration file (scoring.yaml, signals.yaml) is invalid: names file, rule, problem
"""

from __future__ import annotations


class ConfigError(Exception):
    """A configuration file is invalid; the message names the file, the rule (or location) and the problem."""

    def __init__(self, file: str, rule: str | None, problem: str, *, subject: str = "rule") -> None:
        self.file = file
        self.rule = rule
        self.problem = problem
        self.subject = subject
        super().__init__(file, rule, problem)

    def __str__(self) -> str:
        if self.rule is None:
            return f"{self.file}: {self.problem}"
        if not self.subject:
            return f"{self.file}: {self.rule}: {self.problem}"
        return f"{self.file}: {self.subject} '{self.rule}': {self.problem}"
