"""The demo's report: the funnel, grades, common reasons, score histories, the SLA (the same for the same seed), then
what the run cost: HubSpot requests, 429s, webhooks and webhook-to-score latency (these vary with timing)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

from app.demo.runtime import Runtime
from app.demo.sla import print_paces, print_sla
from app.rules.scoring.writes import GRADE, REASONS, SCORE, STAGE
from hubspot_twin.simulator import SeededPortal, SimulationReport
from hubspot_twin.simulator.portal import SimContact
from hubspot_twin.simulator.reps import FIELD_TEAMS

Echo = Callable[[str], None]
_POINTS = re.compile(r"^[+-]\d+ ")
_COUNT = re.compile(r" \(.*\)$")


def print_report(runtime: Runtime, portal: SeededPortal, simulation: SimulationReport, echo: Echo) -> None:
    """Print everything the demo shows, read back from the twin."""
    scored = {cid: props for cid, _created, props in runtime.twin.live_objects("contacts")}
    contacts = [c for c in portal.contacts if c.id in scored]
    _funnel(contacts, scored, echo)
    _grades(scored, echo)
    _reasons(scored, echo)
    _personas(contacts, scored, echo)
    _histories(runtime, contacts, scored, echo)
    _time_alone(runtime, contacts, echo)
    _sla(runtime, portal, simulation, echo)
    _costs(runtime, simulation, echo)


def print_table(rows: Sequence[Sequence[object]], echo: Echo) -> None:
    """Print rows as an aligned table, the first row as its header."""
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        echo("  " + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            echo("  " + "  ".join("-" * width for width in widths))


def _funnel(contacts: list[SimContact], scored: dict[str, dict[str, str]], echo: Echo) -> None:
    stages = Counter(scored[c.id].get(STAGE) or "—" for c in contacts)
    echo(f"\nFunnel ({len(contacts)} contacts)")
    rows: list[tuple[object, ...]] = [("Stage", "Contacts", "Share")]
    rows += [(stage, stages[stage], f"{100 * stages[stage] / len(contacts):.1f} %") for stage in ("sql", "mql", "—")]
    print_table(rows, echo)


def _grades(scored: dict[str, dict[str, str]], echo: Echo) -> None:
    grades = Counter(props.get(GRADE) or "" for props in scored.values())
    echo("\nGrades (fit letter × engagement digit)")
    print_table([("Fit", "1", "2", "3", "4")] + [(f, *(grades[f + e] for e in "1234")) for f in "ABCD"], echo)


def _reasons(scored: dict[str, dict[str, str]], echo: Echo) -> None:
    labels = Counter(
        _COUNT.sub("", _POINTS.sub("", part))
        for props in scored.values()
        for part in (props.get(REASONS) or "").split(" · ")
        if part and part != "…"
    )
    echo("\nTen most common reasons")
    print_table([("Reason", "Contacts")] + [(label, count) for label, count in labels.most_common(10)], echo)


def _personas(contacts: list[SimContact], scored: dict[str, dict[str, str]], echo: Echo) -> None:
    by_persona: dict[str, Counter[str]] = {}
    for contact in contacts:
        by_persona.setdefault(contact.persona.name, Counter())[scored[contact.id].get(STAGE) or "—"] += 1
    echo("\nWho the buyers really were (the simulator's personas) and where the model put them")
    rows: list[tuple[object, ...]] = [("Persona", "sql", "mql", "—")]
    rows += [(name, c["sql"], c["mql"], c["—"]) for name, c in sorted(by_persona.items())]
    print_table(rows, echo)


def _histories(runtime: Runtime, contacts: list[SimContact], scored: dict[str, dict[str, str]], echo: Echo) -> None:
    top = sorted(contacts, key=lambda c: (-int(scored[c.id].get(SCORE) or 0), int(c.id)))[:3]
    echo("\nScore history of three contacts (leadflow_score as HubSpot keeps it)")
    for contact in top:
        history = runtime.twin.history("contacts", contact.id, SCORE)
        steps = " → ".join(f"{stamp[5:10]}: {value}" for stamp, value in history)
        echo(f"  {contact.name} ({contact.persona.name}): {steps}")
        echo(f"    {scored[contact.id].get(REASONS)}")


def _time_alone(runtime: Runtime, contacts: list[SimContact], echo: Echo) -> None:
    """What changed with no webhook: score changes and stage exits written after the decay sweep found them due."""
    histories = [runtime.container.ledger.history.of(contact.id) for contact in contacts]
    changes = sum(change.cause == "decay" for history in histories for change in history.score_changes)
    exits = Counter(
        f"{t.from_stage} → {t.to_stage or '—'}" for h in histories for t in h.transitions if t.cause == "decay"
    )
    moves = ", ".join(f"{n} {move}" for move, n in sorted(exits.items())) or "no stage changes"
    echo(f"\nChanged by time alone (decay sweep, no webhook): {changes} score changes written; {moves}")


def _sla(runtime: Runtime, portal: SeededPortal, simulation: SimulationReport, echo: Echo) -> None:
    container = runtime.container
    open_keys = {clock.key for clock in container.ledger.sla.open_clocks()}
    names = {owner.id: owner.name for owner in portal.owners}
    print_sla(container.sla, container.ledger.sla.all_clocks(), open_keys, names, container.clock(), echo, print_table)
    field = {owner.id: owner.name for owner in portal.owners if owner.team in FIELD_TEAMS}
    print_paces(simulation.reps, field, echo)


def _handovers(runtime: Runtime) -> str:
    contacts = [cid for cid, _created, _props in runtime.twin.live_objects("contacts")]
    records = [h for found in runtime.container.ledger.handovers.of_contacts(contacts).values() for h in found]
    stages = Counter(h.stage for h in records)
    owners = Counter(h.owner_id for h in records if h.owner_id)
    return (f"{len(records)} ({', '.join(f'{n} {stage}' for stage, n in sorted(stages.items()))}) to "
            f"{len(owners)} owners; {len(runtime.twin.live_objects('tasks'))} tasks, "
            f"{len(runtime.twin.live_objects('deals'))} deals in HubSpot")  # fmt: skip


def _leads(runtime: Runtime) -> str:
    """Return the Leads Leadflow made (one per qualification cycle handed over) and where sales left them."""
    stages = runtime.container.ledger.leads.stages()
    if stages is None:
        return "none (the portal has no Leads)"
    leads = runtime.twin.live_objects("leads")
    contacts = [cid for cid, _created, _props in runtime.twin.live_objects("contacts")]
    records = [h for found in runtime.container.ledger.handovers.of_contacts(contacts).values() for h in found]
    cycles = {(h.contact_id, h.cycle) for h in records if h.owner_id and h.done_at is not None}
    where = Counter(stages.labels.get(props.get("hs_pipeline_stage") or "", "?") for _id, _at, props in leads)
    by_stage = ", ".join(f"{n} {label}" for label, n in where.most_common())
    return f"{len(leads)} in HubSpot for {len(cycles)} qualification cycles handed over ({by_stage})"


def _costs(runtime: Runtime, simulation: SimulationReport, echo: Echo) -> None:
    guard = runtime.twin.guard.stats() if runtime.twin.guard else {}
    dispatch = runtime.dispatcher.stats()
    latency = runtime.latency.measure()
    echo("\nThis run (these figures depend on timing)")
    echo(f"  buyer actions played: {sum(simulation.actions.values())} ({dict(simulation.actions.most_common())})")
    sales = simulation.sales
    echo(f"  handovers: {_handovers(runtime)}")
    echo(f"  leads: {_leads(runtime)}")
    touches = f"{sales.touches['calls']} calls and {sales.touches['emails']} e-mails logged as first touches"
    echo(f"  sales (simulated reps): {touches}, {sales.tasks_worked} tasks worked, {sales.accepted} leads accepted, "
         f"{sales.rejected} rejected (recycled), {sales.won} deals won, {sales.lost} lost")  # fmt: skip
    echo(f"  HubSpot requests: {guard.get('total', 0)}, 429s received: {sum(guard.get('rate_limited', {}).values())}")
    echo(f"  webhooks: {dispatch.delivered_events} events in {dispatch.delivered_batches} requests, "
         f"{dispatch.retries} retries")  # fmt: skip
    if latency:
        echo(f"  webhook-to-score latency: p50 {latency.p50 * 1000:.0f} ms, p95 {latency.p95 * 1000:.0f} ms, "
             f"p99 {latency.p99 * 1000:.0f} ms over {latency.samples} score writes")  # fmt: skip
