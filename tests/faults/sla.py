"""The SLA watch in the fault scenario: its configuration, and the `watch` phase that runs it in simulated time.

The SQL handovers of the scenario have a 4-business-hour target on a calendar open around the clock (UTC), so
business time is elapsed time and every point of a clock lies a fixed distance from its start: reminders at 120
and 192 minutes, escalation (a task for the manager) at 240, reassignment at 360; the new owner's fresh clock has
its own reminders and escalation. The `touch` phase has an owner log a call on one SQL (its clock stops: `met`).

The `watch` phase advances Leadflow's clock for the watch only (the watch's context gets a fixed clock, as the
e2e tests do): it runs the watch at each moment when the next step of some clock has come, every step at its own
point, until no clock has a step left. At each moment the watch runs until it has fired everything due (a HubSpot
fault releases a step for the next run), then once more, which must fire nothing; a run's `sla_watchers` watches
run at once at every moment (two workers' clock jobs racing).
"""

from __future__ import annotations

import signal
import subprocess
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.ledger.models import SLA_STEPS
from app.sync.hubspot.errors import HubSpotError
from app.sync.sla.watch import STEP_LEASE, SlaWatchContext, SlaWatchReport, watch_sla
from tests.conftest import ROOT

if TYPE_CHECKING:
    from tests.faults.harness import Run

WATCH_PHASE = "watch"
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)
ROUNDS = 30  # watch runs at one moment before the phase gives up (HubSpot faults release steps for the next run)
COUNTED = ("reminders", "escalations", "reassignments", "skipped", "failed")


def sla_yaml(managers: dict[str, str]) -> str:
    """The scenario's SLA: SQLs only (4 business hours), a calendar open around the clock, one reassignment."""
    lines = [
        "calendars:",
        "  - id: always",
        "    timezone: UTC",
        '    hours: {mon-sun: "00:00-24:00"}',
        "targets:",
        "  - {id: sql, stage: sql, hours: 4}",
        "reminders: [50, 80]",
        "escalation:",
        "  at: 100",
        "  to: manager",
        "  notify: true",
        "  task: true",
        "  managers:",
        *(f"    {owner}: {manager}" for owner, manager in managers.items()),
        "reassignment: {at: 150, max_times: 1, move_deal: true}",
        "first_touch:",
        "  engagements: [call, email, meeting]",
        "  task_completed: true",
        "  lead_status: [IN_PROGRESS, OPEN_DEAL, CONNECTED]",
    ]
    return "\n".join(lines) + "\n"


def watch_changes(run: Run) -> Iterator[Callable[[], None]]:
    """Yield the watch's moments one by one (each computed once the watch before it has run)."""
    last: datetime | None = None
    while (moment := next_moment(run, last)) is not None:
        yield lambda moment=moment: watch_at(run, moment)
        last = moment


def next_moment(run: Run, last: datetime | None) -> datetime | None:
    """A second after the latest point at which no clock has two unfired steps due: each step fires at its own
    point (a second past it, so that a clock at its due time is already breached)."""
    pending = run.container.ledger.sla.due_steps(FAR_FUTURE)  # every unfired step of an open, untouched clock
    seen: set[str] = set()
    moment = None
    for step in pending:  # ordered by due time
        if last is not None and step.due_at <= last:
            continue  # held by a worker that died: the lease brings it back (the kill scenario's concern)
        if step.key in seen:
            break
        seen.add(step.key)
        moment = step.due_at + SECOND
    return moment


def watch_at(run: Run, moment: datetime) -> None:
    """Run the watch at `moment` until it has fired everything due, then once more (which must fire nothing)."""
    counts: Counter[str] = run.stats.notes.setdefault("sla", Counter())
    if run.before_watch is not None:
        run.before_watch(run, moment)
    for _ in range(ROUNDS):
        reports, errors = watch_once(run, moment)
        counts.update({name: sum(getattr(r, name) for r in reports) for name in COUNTED})
        counts["errors"] += len(errors)
        counts["runs"] += len(reports) + len(errors)
        if not errors and not any(r.failed for r in reports):
            break
    else:
        raise AssertionError(f"{run.name}: the SLA watch at {moment} kept failing")
    again, errors = watch_once(run, moment)  # an error here (a HubSpot fault) is counted; nothing may fire
    counts["errors"] += len(errors)
    fired = [
        (r.reminders, r.escalations, r.reassignments) for r in again if r.reminders or r.escalations or r.reassignments
    ]
    assert not fired, f"{run.name}: the watch at {moment} fired again: {fired}"


def watch_once(run: Run, moment: datetime) -> tuple[list[SlaWatchReport], list[str]]:
    """Run `sla_watchers` watches at `moment` at once; return their reports and the errors that ended some."""
    context = replace(run.container.provide(SlaWatchContext), clock=lambda: moment)
    reports: list[SlaWatchReport] = []
    errors: list[str] = []

    def watch() -> None:
        try:
            reports.append(watch_sla(context))
        except (HubSpotError, SQLAlchemyError, RedisError) as exc:  # the job fails; the clock runs it again
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=watch) for _ in range(run.knobs.sla_watchers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return reports, errors


@dataclass
class EscalationKill:
    """A `before_watch` hook: at the first moment an escalation is due, a worker process runs the watch and is
    SIGKILLed after claiming the moment's escalations and upserting their tasks (one batch), before marking them
    fired (tests/faults/sla_victim.py). The steps stay claimed; the watch runs of that moment leave them alone, and
    the first watch after the lease (the next moment of the phase, two business hours on) escalates each once: its
    task upserted again by its key."""

    moment: datetime | None = None
    keys: tuple[str, ...] = ()  # the handovers whose escalations were held
    tasks_at_kill: dict[str, int] = field(default_factory=dict)  # escalation tasks in HubSpot per held handover

    def __call__(self, run: Run, moment: datetime) -> None:
        if self.moment is not None or not any(
            s.step == "escalation" for s in run.container.ledger.sla.due_steps(moment)
        ):
            return
        command = [str(ROOT / ".venv" / "bin" / "python"), "-m", "tests.faults.sla_victim", moment.isoformat()]
        done = subprocess.run(command, env=run.environment(), cwd=ROOT, capture_output=True, timeout=120, check=False)
        assert done.returncode == -signal.SIGKILL, f"the watch was not killed mid-escalation: {done.stderr[-3000:]!r}"
        self.keys = tuple(key for key, fired, claimed in self.escalation_rows(run) if claimed == moment and not fired)
        assert self.keys, "no escalation was left claimed by the killed watch"
        self.moment = moment
        self.tasks_at_kill = {key: self.escalation_tasks(run, key) for key in self.keys}

    def escalation_rows(self, run: Run) -> list[tuple[str, datetime | None, datetime | None]]:
        """(handover, fired_at, claimed_at) of every first-clock escalation step."""
        columns = (SLA_STEPS.c.handover_key, SLA_STEPS.c.fired_at, SLA_STEPS.c.claimed_at)
        with run.container.ledger.engine.connect() as connection:
            rows = connection.execute(select(*columns).where(SLA_STEPS.c.step == "escalation")).all()
        return [(key, fired, claimed) for key, fired, claimed in rows]

    def escalation_tasks(self, run: Run, handover: str) -> int:
        """How many tasks in HubSpot carry a handover's escalation key."""
        key = f"{handover}-escalation"
        return sum(p.get("leadflow_handover_id") == key for _id, _created, p in run.twin.live_objects("tasks"))

    def outcome(self, run: Run) -> str:
        """Check that each held escalation fired once, after the lease, with at most one task; describe it."""
        assert self.moment is not None, "no escalation was due in the watch phase"
        fired = {key: f for key, f, _claimed in self.escalation_rows(run) if key in self.keys}
        assert all(f is not None and f >= self.moment + STEP_LEASE for f in fired.values()), (fired, self.moment)
        tasks = {key: self.escalation_tasks(run, key) for key in self.keys}
        assert tasks == self.tasks_at_kill and set(tasks.values()) <= {0, 1} and 1 in tasks.values(), tasks
        contacts = [key.split("-")[0] for key in self.keys]
        escalations = sorted(h.escalations for found in run.container.ledger.handovers.of_contacts(contacts).values()
                             for h in found if h.key in self.keys)  # fmt: skip
        waited = min((f - self.moment).total_seconds() / 60 for f in fired.values() if f is not None)
        return (f"the SLA watch SIGKILLed after the upsert of its {len(self.keys)} escalation(s)' tasks, before they "
                f"fired: escalated again {waited:.0f} min later (lease {STEP_LEASE.total_seconds() / 60:.0f} min), "
                f"{sum(tasks.values())} escalation task(s), one per handover with a recipient; escalations "
                f"{escalations}")  # fmt: skip
