"""What `leadflow sla` prints: the open handovers with an SLA clock, grouped by owner, as a table or as JSON.

Per handover: its target, when it was assigned (and when the current owner's clock started, after a
reassignment), when the first touch is due, the status now, the business minutes elapsed (until the first touch,
once there is one) and how many reminders, escalations and reassignments fired.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from app.ledger.records import SlaClock
from app.rules.calendar import business_minutes_between
from app.rules.sla.policy import SlaConfig
from app.sync.sla.status import sla_view

Row = dict[str, Any]
COLUMNS = ("contact", "stage", "target", "assigned", "due", "status", "minutes", "rem", "esc", "reas")


def sla_rows(
    config: SlaConfig, clocks: Sequence[SlaClock], now: datetime, names: Mapping[str, str] | None = None
) -> list[Row]:
    """Return one row per open clock, by owner (unassigned last), then by due time; `names`: owner id → name."""
    rows = [{**_row(config, clock, now), "owner_name": (names or {}).get(clock.owner_id or "")} for clock in clocks]
    return sorted(rows, key=lambda row: (row["owner"] is None, row["owner"] or "", row["due_at"]))


def sla_json(rows: Sequence[Row]) -> str:
    """Return the rows as one JSON object: `owners`, each with its handovers."""
    owners: dict[str, list[Row]] = {}
    for row in rows:
        owners.setdefault(row["owner"] or "", []).append(row)
    document = {
        "owners": [
            {"owner": owner or None, "name": items[0]["owner_name"], "handovers": items}
            for owner, items in owners.items()
        ]
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def sla_lines(rows: Sequence[Row]) -> list[str]:
    """Return the rows as a table per owner, and a count of the statuses."""
    lines: list[str] = []
    owner: str | None = "-"
    for row in rows:
        if row["owner"] != owner:
            owner = row["owner"]
            lines.extend([*([""] if lines else []), _owner_heading(row), _line(COLUMNS)])
        lines.append(_line(_cells(row)))
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items())) or "none"
    lines.append(f"{len(rows)} open handover(s) with an SLA clock: {summary}")
    return lines


def _owner_heading(row: Row) -> str:
    if row["owner"] is None:
        return "owner unassigned"
    return f"owner {row['owner_name']} ({row['owner']})" if row["owner_name"] else f"owner {row['owner']}"


def _row(config: SlaConfig, clock: SlaClock, now: datetime) -> Row:
    view = sla_view(config, clock, now)  # what the contact shows; minutes elapsed so far while untouched
    target, status, minutes = config.target_by_id(clock.sla_target), view.status, view.business_minutes
    if minutes is None and target is not None:
        minutes = business_minutes_between(target.calendar, clock.sla_clock_at, now)
    return {
        "handover": clock.key, "contact": clock.contact_id, "stage": clock.stage, "owner": clock.owner_id,
        "target": clock.sla_target, "assigned_at": _iso(clock.assigned_at), "clock_at": _iso(clock.sla_clock_at),
        "due_at": _iso(clock.sla_due_at), "status": status.value, "first_touch_at": _iso(clock.first_touch_at),
        "business_minutes": round(minutes) if minutes is not None else None, "reminders": clock.reminders,
        "escalations": clock.escalations, "reassignments": clock.reassignments,
    }  # fmt: skip


def _cells(row: Row) -> tuple[str, ...]:
    minutes = row["business_minutes"]
    return (
        row["contact"], row["stage"], row["target"], _short(row["assigned_at"]), _short(row["due_at"]),
        row["status"], "-" if minutes is None else str(minutes), str(row["reminders"]), str(row["escalations"]),
        str(row["reassignments"]),
    )  # fmt: skip


def _line(cells: Sequence[str]) -> str:
    widths = (10, 6, 8, 17, 17, 9, 7, 3, 3, 4)
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def _short(text: str) -> str:
    return text[:16].replace("T", " ")


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if moment else None
