"""The demo's closing table: each contact's scores as read back from the twin, and what it cost."""

from __future__ import annotations

from collections.abc import Callable

from app.demo.portal import Portal
from app.demo.runtime import Runtime
from app.rules.writes import ENGAGEMENT_SCORE, FIT_SCORE, GRADE, REASONS, SCORE, STAGE

COLUMNS = ("Contact", "Company", "Fit", "Eng", "Score", "Grade", "Stage")
EXPLAINED = 5  # contacts whose reasons are printed in full


def print_report(runtime: Runtime, portal: Portal, echo: Callable[[str], None]) -> None:
    """Print the contacts' score properties (read back through HubSpot's API) and the request counts."""
    counts = runtime.twin.request_counts()
    ids = [contact.id for contact in portal.contacts]
    wanted = [FIT_SCORE, ENGAGEMENT_SCORE, SCORE, GRADE, STAGE, REASONS]
    scored = runtime.container.gateway().read_objects("contact", ids, wanted)
    rows = sorted(
        ((contact, scored.get(contact.id, {})) for contact in portal.contacts),
        key=lambda row: (-int(row[1].get(SCORE) or 0), row[0].name),
    )
    table = [COLUMNS] + [
        (c.name, c.company_name, p.get(FIT_SCORE) or "", p.get(ENGAGEMENT_SCORE) or "", p.get(SCORE) or "",
         p.get(GRADE) or "", p.get(STAGE) or "—")
        for c, p in rows
    ]  # fmt: skip
    widths = [max(len(str(row[i])) for row in table) for i in range(len(COLUMNS))]
    echo("")
    for index, row in enumerate(table):
        echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            echo("  ".join("-" * width for width in widths))
    echo("")
    echo("Why (leadflow_score_reasons, as sales sees it in HubSpot):")
    for contact, props in rows[:EXPLAINED]:
        echo(f"  {contact.name}: {props.get(REASONS) or '—'}")
    _print_costs(runtime, portal, counts, echo)


def _print_costs(runtime: Runtime, portal: Portal, counts: dict[str, int], echo: Callable[[str], None]) -> None:
    events = runtime.container.worklist.event_counts()
    stages = [p for p in (runtime.container.ledger.states_of([c.id for c in portal.contacts]).values()) if p.stage]
    echo("")
    echo(f"Webhook requests: {portal.delivered} · events stored: {events.get('stored', 0)} · "
         f"duplicates ignored: {events.get('duplicate', 0)} · qualified contacts: {len(stages)}")  # fmt: skip
    echo(f"HubSpot requests while scoring {len(portal.contacts)} contacts: {sum(counts.values())}")
    for endpoint, count in sorted(counts.items()):
        echo(f"  {count:>4}  {endpoint}")
