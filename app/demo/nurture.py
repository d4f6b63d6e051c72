"""The demo's nurture section: what the portal's nurture workflows sent and how the buyers reacted, then the funnel
of the run against the same seed played without nurture: MQLs, SQLs, MQL→SQL and the contacts nurture moved.

Both runs are the same portal, the same buyers' plan and the same sales team; only config/nurture.yaml differs,
so every difference in the funnel is nurture's (its emails' reactions, and what they led to).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction

from app.demo.kpis import Window
from app.demo.report import print_table
from app.demo.runtime import Runtime
from app.nurture_report import effectiveness_lines
from app.rules.kpis.figures import Ratio, percent_figure
from app.rules.kpis.nurture import DEFAULT_MQL_WITHIN_DAYS, nurture_effectiveness
from app.rules.kpis.report import compute_kpis, members
from app.sync.kpis.facts import ledger_facts
from hubspot_twin.simulator import SeededPortal, SimulationReport
from hubspot_twin.simulator.portal import SimContact
from hubspot_twin.simulator.reactions import content_of

Echo = Callable[[str], None]
NAMED = 8  # contacts named per list


@dataclass(frozen=True)
class FunnelOutcome:
    """A run's funnel as the KPI report counts it over the demo's window, and how often each contact (by its index
    in the seeded portal, the same in both runs) reached MQL in it (a recycled lead can reach it again)."""

    mqls: int
    sqls: int
    mql_to_sql: Ratio
    qualified: Counter[int]


def funnel_outcome(runtime: Runtime, portal: SeededPortal, window: Window) -> FunnelOutcome:
    """Return the run's funnel from its ledger (what `leadflow kpis` reports for the window)."""
    container = runtime.container
    facts = ledger_facts(container.ledger, container.model.qualified_stages)
    report = compute_kpis(facts, *window)
    index = {contact.id: contact.index for contact in portal.contacts}
    qualified = Counter(index[fact.contact] for fact in members(facts, "mql_at", *window) if fact.contact in index)
    funnel = report.window.funnel
    return FunnelOutcome(funnel["mqls"], funnel["sqls"], report.window.rates["mql_to_sql"], qualified)


def print_nurture_sends(simulation: SimulationReport, echo: Echo) -> None:
    """Print what the portal's workflows sent per step and the buyers' reactions (the simulator's record)."""
    nurture = simulation.nurture
    echo("\nNurture e-mails (sent by the portal's workflows when Leadflow set leadflow_nurture_step)")
    if not nurture.sent:
        echo("  none sent")
        return
    rows: list[tuple[object, ...]] = [("Step", "Sent", "Opened", "Clicked", "Took the offer")]
    for step, sent in sorted(nurture.sent.items(), key=lambda item: (-item[1], item[0])):
        reacted = {kind: nurture.reactions[step, kind] for kind in ("open", "click", "action")}
        clicked, content = reacted["click"], content_of(step)
        took = "—" if content is None else clicked if content.action is None else reacted["action"]
        rows.append((step, sent, reacted["open"] + clicked, clicked, took))
    print_table(rows, echo)
    echo("  (a newsletter's offer is its click; a step the simulated buyers do not know is only opened)")


def print_step_effectiveness(runtime: Runtime, window: Window, echo: Echo) -> None:
    """Print Leadflow's own per-step effectiveness over the run (what `leadflow nurture --report` prints for the
    demo's window, from the ledger): what the ledger measured, beside what the simulator says it sent."""
    container = runtime.container
    window_from, window_to, as_of = window
    found = nurture_effectiveness(
        container.ledger.nurture.records(), as_of, DEFAULT_MQL_WITHIN_DAYS, window_from, window_to,
        container.nurture_config,
    )  # fmt: skip
    echo("\nLeadflow's measure of the nurture steps (leadflow nurture --report, from the ledger)")
    for line in effectiveness_lines(found, configured=container.nurture_config is not None):
        echo(f"  {line}")


def print_nurture_comparison(
    portal: SeededPortal, with_nurture: FunnelOutcome, without: FunnelOutcome, echo: Echo
) -> None:
    """Print both runs' funnels, the difference, the contacts that reached MQL in one run only, and how many
    reached it in both but more or less often with nurture (a recycled lead can qualify again)."""
    echo("\nNurture's difference: the same seed played without config/nurture.yaml")
    rows: list[tuple[object, ...]] = [("Run", "MQLs", "SQLs", "MQL→SQL")]
    rows.append(("with nurture", with_nurture.mqls, with_nurture.sqls, _rate(with_nurture.mql_to_sql)))
    rows.append(("without nurture", without.mqls, without.sqls, _rate(without.mql_to_sql)))
    rows.append(("difference", f"{with_nurture.mqls - without.mqls:+d}", f"{with_nurture.sqls - without.sqls:+d}",
                 _points(with_nurture.mql_to_sql, without.mql_to_sql)))  # fmt: skip
    print_table(rows, echo)
    contacts = {contact.index: contact for contact in portal.contacts}
    nurtured, plain = with_nurture.qualified, without.qualified
    moved = [contacts[i] for i in sorted(set(nurtured) - set(plain))]
    lost = [contacts[i] for i in sorted(set(plain) - set(nurtured))]
    more = sum(1 for i in set(nurtured) & set(plain) if nurtured[i] > plain[i])
    fewer = sum(1 for i in set(nurtured) & set(plain) if nurtured[i] < plain[i])
    echo(f"  reached MQL only with nurture: {len(moved)}{_who(moved)}")
    echo(f"  reached MQL only without nurture: {len(lost)}{_who(lost)}")
    echo(f"  reached MQL in both, more often with nurture (again after a recycle): {more}; less often: {fewer}")


def _who(contacts: Iterable[SimContact]) -> str:
    listed = list(contacts)
    if not listed:
        return ""
    personas = Counter(contact.persona.name for contact in listed)
    by_persona = ", ".join(f"{n} {name}" for name, n in sorted(personas.items(), key=lambda item: (-item[1], item[0])))
    names = ", ".join(f"{c.name} ({c.persona.name})" for c in listed[:NAMED])
    more = f", … {len(listed) - NAMED} more" if len(listed) > NAMED else ""
    return f" ({by_persona}): {names}{more}"


def _rate(ratio: Ratio) -> str:
    if ratio.whole == 0:
        return "—"
    return f"{percent_figure(Fraction(ratio.part, ratio.whole))} % ({ratio.part}/{ratio.whole})"


def _points(first: Ratio, second: Ratio) -> str:
    if first.whole == 0 or second.whole == 0:
        return "—"
    difference = Fraction(first.part, first.whole) - Fraction(second.part, second.whole)
    shown = percent_figure(abs(difference))
    sign = "-" if difference < 0 and shown != "0.0" else "+"
    return f"{sign}{shown} pt"
