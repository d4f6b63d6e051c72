"""The fault suite's report: each scenario's lines, printed at the end of the session (pytest's terminal summary,
so that `make test` shows it whatever the capture mode).

A plugin of the whole session (tests/conftest.py loads it): under pytest-xdist the scenarios run in the workers,
which hand their rows to the controller, where the summary is printed.
"""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

import pytest

from tests.faults.outcome import ReportRow

REPORT_KEY = pytest.StashKey[list[ReportRow]]()
WORKER_OUTPUT = "fault-report"  # the key of the rows in an xdist worker's output


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "faults: the fault-injection suite (a scenario run clean and under faults)")
    config.stash[REPORT_KEY] = []


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In an xdist worker, hand the rows of its scenarios to the controller."""
    output: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
    if output is not None:
        output[WORKER_OUTPUT] = [astuple(row) for row in session.config.stash.get(REPORT_KEY, [])]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """In xdist's controller, take the rows of a worker that has finished."""
    rows = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT, [])
    node.config.stash[REPORT_KEY].extend(ReportRow(*row) for row in rows)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    rows = config.stash.get(REPORT_KEY, [])
    if not rows:
        return
    write = terminalreporter.write_line
    terminalreporter.section("fault injection: each scenario compared with the clean run")
    for row in rows:
        write(f"{row.scenario} [{row.database}] — {row.verdict}")
        write(f"    injected: {row.injected}")
        write(f"    compared: {row.compared}")
    write("")
    header = ("fault", "db", "injected", "events lost", "duplicates", "converged")
    table = [(r.scenario, r.database, r.injected_count, str(r.events_lost), str(r.duplicates),
              f"{r.converge_seconds:.1f} s") for r in rows]  # fmt: skip
    widths = [max(len(line[i]) for line in [header, *table]) for i in range(len(header))]
    for line in [header, tuple("-" * w for w in widths), *table]:
        write("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
