"""The demo report's SLA section: the handovers with a clock, how they ended, what the watch did, and each rep's
response times in business minutes, read from the ledger (the same for the same seed); then the simulated reps'
true pace, as the personas show the buyers' true intent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from app.ledger.records import SlaClock
from app.rules.sla.clock import SlaStatus
from app.rules.sla.policy import SlaConfig
from app.rules.sla.response import response_times
from app.rules.sla.visible import SlaView
from app.sync.sla.status import sla_view
from hubspot_twin.simulator.reps import RepProfile

Echo = Callable[[str], None]
Table = Callable[[Sequence[Sequence[object]], Echo], None]
OPEN = (SlaStatus.ON_TRACK, SlaStatus.AT_RISK, SlaStatus.BREACHED)
MOVES_SHOWN = 6  # the most frequent reassignments (from → to) named


@dataclass(frozen=True)
class Clocks:
    """Every timed handover's clock with its view at the end of the run, and which still wait for a first touch."""

    clocks: Sequence[SlaClock]
    views: Mapping[str, SlaView]
    waiting: frozenset[str]
    names: Mapping[str, str]

    def name(self, owner_id: str | None) -> str:
        return self.names.get(owner_id or "", owner_id or "—")


def print_sla(
    config: SlaConfig | None, clocks: Sequence[SlaClock], open_keys: set[str], names: Mapping[str, str],
    now: datetime, echo: Echo, table: Table,
) -> None:  # fmt: skip
    """Print the SLA section: `clocks` every timed handover, `open_keys` those not answered yet, `names` owner names."""
    echo("\nResponse SLA (first touch by the owner, in business time: config/sla.yaml)")
    if config is None or not clocks:
        echo("  no handover with an SLA clock")
        return
    waiting = frozenset(c.key for c in clocks if c.first_touch_at is None and c.key in open_keys)
    seen = Clocks(clocks, {c.key: sla_view(config, c, now) for c in clocks}, waiting, names)
    _outcomes(seen, echo)
    _watch(seen, echo)
    _reps(seen, echo, table)


def _outcomes(seen: Clocks, echo: Echo) -> None:
    status = Counter(v.status for key, v in seen.views.items() if key in seen.waiting or v.status not in OPEN)
    untouched = sum(c.first_touch_at is None and c.key not in seen.waiting for c in seen.clocks)
    still_open = ", ".join(f"{status[s]} {s.value.replace('_', ' ')}" for s in OPEN)
    echo(f"  {len(seen.clocks)} handovers with a clock: {status[SlaStatus.MET]} met, "
         f"{status[SlaStatus.MISSED]} missed, {len(seen.waiting)} still open ({still_open}), "
         f"{untouched} answered without a touch")  # fmt: skip


def _watch(seen: Clocks, echo: Echo) -> None:
    clocks = seen.clocks
    escalated = sum(c.escalations > 0 for c in clocks)
    reassigned = [c for c in clocks if c.reassignments]
    echo(f"  the watch: {sum(c.reminders for c in clocks)} reminders sent, {sum(c.escalations for c in clocks)} "
         f"escalations ({escalated} handovers), {sum(c.reassignments for c in clocks)} reassignments")  # fmt: skip
    if not reassigned:
        return
    moves = Counter(
        " → ".join(map(seen.name, [*(o for o in (c.earlier_owners or "").split(",") if o), c.owner_id]))
        for c in reassigned
    )
    shown = sorted(moves.items(), key=lambda move: (-move[1], move[0]))[:MOVES_SHOWN]
    more = f", {len(moves) - len(shown)} other moves" if len(moves) > len(shown) else ""
    echo(f"    reassigned: {', '.join(f'{move} ({count})' for move, count in shown)}{more}")


def _reps(seen: Clocks, echo: Echo, table: Table) -> None:
    rows: list[tuple[object, ...]] = [("Rep", "Handovers", "Met", "Missed", "Open", "Median min", "p90 min")]
    for owner_id in sorted({c.owner_id for c in seen.clocks}, key=seen.name):
        own = [c for c in seen.clocks if c.owner_id == owner_id]
        status = Counter(seen.views[c.key].status for c in own)
        times = response_times([m for c in own if (m := seen.views[c.key].business_minutes) is not None])
        waiting = sum(c.key in seen.waiting for c in own)
        median, p90 = _minutes(times.median), _minutes(times.p90)
        rows.append(
            (seen.name(owner_id), len(own), status[SlaStatus.MET], status[SlaStatus.MISSED], waiting, median, p90)
        )
    table(rows, echo)


def print_paces(profiles: Mapping[str, RepProfile], names: Mapping[str, str], echo: Echo) -> None:
    """Print the pace of the reps in `names` (the simulator's truth, not Leadflow's measurement)."""
    paces = {
        pace: sorted(names[o] for o, p in profiles.items() if p.pace == pace and o in names)
        for pace in ("fast", "slow")
    }
    away = [(names[o], p.away) for o, p in profiles.items() if p.away and o in names]
    line = f"  the simulated reps: fast {', '.join(paces['fast'])}; slow {', '.join(paces['slow'])}"
    for name, (start, end) in away:
        line += f"; {name} on holiday {start:%m-%d %H:%M} – {end:%m-%d %H:%M} UTC"
    echo(line)


def _minutes(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"
