"""The benchmark's figures: each measured value beside its baseline, the ratio between them, and its target.

A `Figure` is one line of the table. `ratio` is value ÷ baseline; `target` says what the issue asks of the value
or of the ratio (`Target("ratio", "<=", 1.1)`), and `met` is judged from it. The same figures are written as JSON.
"""

from __future__ import annotations

import json
import math
import operator
import platform
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

Measure = Literal["value", "ratio"]
_COMPARE: dict[str, Callable[[float, float], bool]] = {"<=": operator.le, ">=": operator.ge, "<": operator.lt}


@dataclass(frozen=True)
class Target:
    """What the issue asks: `measure` (the value or the ratio) `op` `limit`."""

    measure: Measure
    op: str
    limit: float

    def met(self, value: float, ratio: float | None) -> bool | None:
        measured = value if self.measure == "value" else ratio
        return None if measured is None else _COMPARE[self.op](measured, self.limit)

    def __str__(self) -> str:
        subject = "" if self.measure == "value" else "ratio "
        return f"{subject}{self.op} {self.limit:g}"


@dataclass(frozen=True)
class Figure:
    section: str
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: Target | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.value, self.ratio)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["target"] = str(self.target) if self.target else None
        data.update(ratio=self.ratio, met=self.met)
        return data


@dataclass
class Report:
    mode: str
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)  # per section: what it ran (sizes, settings, counts)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def add(self, *figures: Figure) -> None:
        self.figures.extend(figures)

    def as_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "started_at": self.started_at,
            "machine": machine(),
            "figures": [figure.as_json() for figure in self.figures],
            "details": self.details,
        }

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_json(), indent=2, sort_keys=False) + "\n")


def machine() -> dict[str, Any]:
    """Describe the machine the figures come from."""
    import os

    return {
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "system": f"{platform.system()} {platform.release()}",
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def quantile(values: Sequence[float], q: float) -> float:
    """The nearest-rank `q` quantile (0 < q ≤ 1) of some values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def number(value: float | None, unit: str = "") -> str:
    """Format a figure for the table: thousands separated, a sensible number of decimals."""
    if value is None:
        return "—"
    if abs(value) >= 100 or value == int(value):
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:,.1f}"
    else:
        text = f"{value:,.2f}"
    return f"{text} {unit}".strip()


def table(figures: Sequence[Figure]) -> str:
    """Render the figures as a plain-text table, one row per figure."""
    header = ("section", "figure", "value", "baseline", "ratio", "target", "met")
    rows = [header]
    for f in figures:
        baseline = f"{number(f.baseline, f.unit)} ({f.baseline_name})" if f.baseline is not None else "—"
        ratio = f"{f.ratio:.2f}×" if f.ratio is not None else "—"
        met = {True: "yes", False: "NO", None: "—"}[f.met]
        rows.append((f.section, f.name, number(f.value, f.unit), baseline, ratio, str(f.target or "—"), met))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
