"""Errors of the rules package.

Exception tree::

    ConfigError        a configuration file (scoring.yaml, signals.yaml) is invalid: names file, rule, problem
    FactsError         a line of lead-cycle facts (JSON Lines, docs/kpis.md) is invalid: names line, key, problem
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


class FactsError(Exception):
    """A line of lead-cycle facts is invalid; the message names the line number, the key (if one) and the problem."""

    def __init__(self, line: int, key: str | None, problem: str) -> None:
        self.line = line
        self.key = key
        self.problem = problem
        super().__init__(line, key, problem)

    def __str__(self) -> str:
        if self.key is None:
            return f"line {self.line}: {self.problem}"
        return f"line {self.line}: key '{self.key}': {self.problem}"
