"""The KPI report's periods as CSV (`leadflow kpis --csv`, the dashboard's download): one row per period (the
window itself without `--by`), its bounds, every funnel count and every rate (empty when null)."""

from __future__ import annotations

import csv

from app.rules.kpis.facts import format_instant
from app.rules.kpis.figures import KpiReport


def periods_csv(report: KpiReport) -> str:
    """Return the report's periods (or its window) as CSV text with a header row."""
    rows = report.periods if report.periods is not None else (report.window,)
    counts, rates = list(report.window.funnel), list(report.window.rates)
    out = _Text()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["from", "to", *counts, *rates])
    for period in rows:
        values = [period.rates[key].value for key in rates]
        writer.writerow([
            format_instant(period.window_from), format_instant(period.window_to),
            *(period.funnel[key] for key in counts), *("" if value is None else value for value in values),
        ])  # fmt: skip
    return "".join(out)


class _Text(list[str]):
    """Where csv.writer writes: the text, kept in memory (the rules do no I/O, not even io.StringIO)."""

    def write(self, text: str) -> int:
        self.append(text)
        return len(text)
