"""Running the benchmark: its sections in order, the table printed, the figures written as JSON."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from app.bench_sections import BENCH_SECTIONS
from bench.report import Report, machine, table

# Section name → module (each has `run(report, quick)`), in the order they run: cheap and CPU-bound first.
SECTIONS = {name: f"bench.{name}" for name in BENCH_SECTIONS}


def run_bench(sections: Sequence[str], quick: bool, json_path: Path, echo: Callable[[str], None] = print) -> Report:
    """Run the named sections; print each one's figures as it ends, then the whole table; write the JSON."""
    report = Report(mode="quick" if quick else "full")
    host = machine()
    echo(f"Leadflow bench ({report.mode}) on {host['cpu']}, {host['cores']} cores, {host['memory_gib']} GiB")
    for name in sections:
        module = importlib.import_module(SECTIONS[name])
        echo(f"-- {name} ...")
        started = time.monotonic()
        before = len(report.figures)
        module.run(report, quick)
        echo(table(report.figures[before:]))
        echo(f"   ({time.monotonic() - started:.0f} s)")
    echo("")
    echo(table(report.figures))
    report.write_json(json_path)
    echo(f"\nFigures written to {json_path}")
    return report
