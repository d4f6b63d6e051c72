"""What `leadflow kpis` prints: the funnel KPIs of docs/kpis.md from the ledger's lead-cycle facts (or a file of
them, `--facts`), as a table or JSON; and `--export-facts`, the ledger's facts as JSON Lines.

The window defaults to the 28 days before `--to`, `--to` to `--as-of`, `--as-of` to now. Input the user can fix
(a time that is not ISO 8601, an empty window, an unreadable file, a bad facts line) ends the command with one
line and exit status 2, like click's own usage errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from app.cli_errors import UserInputError, option_instant
from app.rules.errors import FactsError
from app.rules.kpis import (
    LeadCycle,
    Period,
    compute_kpis,
    facts_to_json_lines,
    format_instant,
    parse_facts,
)
from app.rules.kpis.backfill import UNRECONSTRUCTED
from app.rules.kpis.breakdowns import Breakdown, breakdown
from app.rules.kpis.document import intervals_document, report_document, window_document
from app.rules.kpis.exports import periods_csv
from app.rules.kpis.table import breakdown_lines, interval_lines, kpi_table
from app.rules.nurture.facts import OfferRecord
from app.sync.kpis.backfill import BackfillContext, BackfillReport, backfill_kpis

DEFAULT_WINDOW = timedelta(days=28)
BREAKDOWN_TITLES: Mapping[Breakdown, str] = {
    "owner": "owner", "grade": "grade at MQL", "model": "scoring model at MQL", "track": "nurture track"
}  # fmt: skip


class KpisInputError(UserInputError):
    """Input of `leadflow kpis` the user can fix: one line, exit status 2."""


@dataclass(frozen=True)
class KpisOptions:
    """The options of `leadflow kpis` as given (times as typed, None when left out)."""

    facts: Path | None = None  # None: the ledger's facts
    window_from: str | None = None
    window_to: str | None = None
    as_of: str | None = None
    by: Period | None = None
    as_json: bool = False
    breakdowns: tuple[Breakdown, ...] = ()  # beyond the contract: owner, grade, model, track
    ci: bool = False  # Wilson 95 % intervals of the rates
    as_csv: bool = False  # the periods (or the window) as CSV


def kpis_output(
    options: KpisOptions,
    now: datetime,
    ledger_facts: Callable[[], Sequence[LeadCycle]],
    names: Callable[[], Mapping[str, str]] = dict,
    offers: Callable[[], Sequence[OfferRecord]] = tuple,
    published: Callable[[], Mapping[str, datetime]] = dict,
) -> str:
    """Return what `leadflow kpis` prints for these options, `now` being the default `--as-of`; the facts come from
    `--facts`, else from `ledger_facts`; `names` labels the owners of an owner breakdown's table (of the ledger's
    facts only); `offers` are the ledger's nurture offers, read for the track breakdown only; `published` says when
    each model version was published (`leadflow model publish`), read for the model breakdown of the ledger's facts."""
    window_from, window_to, as_of = report_window(options, now)
    facts = read_facts(options.facts) if options.facts is not None else ledger_facts()
    report = compute_kpis(facts, window_from, window_to, as_of, options.by)
    if options.as_csv:
        return periods_csv(report).rstrip("\n")
    nurture = offers() if "track" in options.breakdowns else ()
    groups = {by: breakdown(facts, by, window_from, window_to, as_of, nurture) for by in options.breakdowns}
    dates = published() if "model" in groups and options.facts is None else {}  # a file's models: another ledger's
    if options.as_json:
        document = report_document(report)
        if options.ci:
            document["intervals"] = {"rates": intervals_document(report.window)}
        if groups:
            document["breakdowns"] = {
                by: {key: window_document(figures) for key, figures in found.items()} for by, found in groups.items()
            }
        if dates:
            document["model_versions"] = {
                model: format_instant(dates[model]) if model in dates else None for model in groups["model"]
            }
        return json.dumps(document, ensure_ascii=False, indent=2)
    sections = [kpi_table(report)]
    if options.ci:
        sections.append("\n".join(["Rates with their Wilson 95 % intervals", *interval_lines(report.window.rates)]))
    labels = names() if "owner" in groups and options.facts is None else {}  # a file's owners may be another portal's
    for by, found in groups.items():
        title = f"By {BREAKDOWN_TITLES[by]}"
        lines = [title, *breakdown_lines(by, found, labels if by == "owner" else {})]
        if by == "model" and dates:
            lines += published_lines(found, dates)
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


def published_lines(models: Iterable[str], published: Mapping[str, datetime]) -> list[str]:
    """Return a line per model of the breakdown saying when it was published, or that the ledger has no record."""
    return [
        f"  {model}: published {format_instant(published[model])}" if model in published
        else f"  {model}: no publishing recorded"
        for model in models
    ]  # fmt: skip


def backfill_output(context: BackfillContext, note: Callable[[str], None]) -> str:
    """Run the backfill, noting its progress each thousand contacts; return what it found."""
    read = [0]

    def progress(contacts: int) -> None:
        read[0] += contacts
        if read[0] % 1000 < contacts:
            note(f"… {read[0]} contacts read")

    return "\n".join(backfill_lines(backfill_kpis(context, progress)))


def backfill_lines(report: BackfillReport) -> list[str]:
    """Return what `leadflow kpis --backfill` says: what it read, what it recorded, what it could not reconstruct."""
    missing = f"{report.without_history} contact(s) have no lifecycle stage history: nothing to reconstruct"
    return [
        f"read {report.contacts} contact(s) and {report.deals} deal(s) from HubSpot's property histories",
        f"recorded {report.cycles} lead cycle(s) of {report.qualified} contact(s) that reached MQL",
        *([missing] if report.without_history else []),
        "not reconstructed (HubSpot keeps no record of them): " + ", ".join(UNRECONSTRUCTED),
        "from each contact's first change of stage Leadflow recorded on, the ledger's own facts count",
    ]


def export_facts(path: Path, facts: Sequence[LeadCycle]) -> str:
    """Write the facts to `path` as JSON Lines; return the line saying so."""
    try:
        path.write_text(facts_to_json_lines(facts), encoding="utf-8")
    except OSError as exc:
        raise KpisInputError(f"--export-facts {path}: cannot write it ({exc})") from None
    return f"wrote {len(facts)} lead cycle(s) to {path}"


def report_window(options: KpisOptions, now: datetime) -> tuple[datetime, datetime, datetime]:
    """Return (from, to, as_of) with the defaults applied; refuse a window whose from is not before its to."""
    as_of = option_instant(options.as_of, "--as-of") or now
    window_to = option_instant(options.window_to, "--to") or as_of
    window_from = option_instant(options.window_from, "--from") or _days_before(window_to)
    if window_from >= window_to:
        raise KpisInputError(
            f"--from {format_instant(window_from)} is not before --to {format_instant(window_to)}: the window is empty"
        )
    return window_from, window_to, as_of


def read_facts(path: Path) -> list[LeadCycle]:
    """Return the lead cycles of a JSON Lines file; a file that cannot be read or a bad line is the user's to fix."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KpisInputError(f"--facts {path}: cannot read it ({exc})") from None
    try:
        return parse_facts(text)
    except FactsError as exc:
        raise KpisInputError(f"--facts {path}: {exc}") from None


def _days_before(window_to: datetime) -> datetime:
    try:
        return window_to - DEFAULT_WINDOW
    except OverflowError:
        raise KpisInputError(f"--to {format_instant(window_to)} leaves no room for the default --from") from None
