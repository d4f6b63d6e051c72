"""The periods of a KPI report as CSV (the dashboard's download): one row per period, its window, the funnel's
counts, the rates and the times' count and percentiles, in the contract's key order (docs/kpis.md). Pure."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from typing import Any


def periods_csv(periods: Sequence[Mapping[str, Any]]) -> str:
    """Return the contract's `periods` as CSV text with a header row; an empty rate or time is an empty cell."""
    if not periods:
        return ""
    first = periods[0]
    header = ["from", "to", *first["funnel"], *(f"rate_{key}" for key in first["rates"])]
    header += [f"{key}_{part}" for key, values in first["times"].items() for part in values]
    out = _Text()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for period in periods:
        row = [period["from"], period["to"], *period["funnel"].values(), *period["rates"].values()]
        row += [value for values in period["times"].values() for value in values.values()]
        writer.writerow(["" if value is None else value for value in row])
    return "".join(out.parts)


class _Text:
    """What csv.writer writes to: the text, in parts (no file, no io)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)
