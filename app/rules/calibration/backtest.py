"""The backtest: two scoring models replayed over the same contacts, and what each would have done (pure).

Each contact is replayed under the current and the candidate model (`replay.py`); what is compared — MQLs and
SQLs per ISO week, the stages each contact would gain or lose, the earliest qualification, the handovers per owner
pool and, on leads with known outcomes, acceptance, deals and won — is defined in docs/calibration.md (Backtest).
Contacts are added one at a time and only counts (and the per-contact differences) are kept, so the caller can
stream them page by page.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import pairwise

from app.rules.calibration.outcomes import OUTCOME_OF, OUTCOMES, Horizon, Outcome
from app.rules.calibration.replay import ReplayContact, StageChange, StageTimeline, replay_contact
from app.rules.expressions import PropertyRecord
from app.rules.handover.config import HandoverConfig
from app.rules.handover.routing_config import RoutingConfig
from app.rules.kpis.facts import LeadCycle
from app.rules.kpis.figures import Ratio
from app.rules.scoring.model import ScoringModel
from app.rules.values import as_utc, convert_properties

NOT_ROUTED = "(not routed)"  # the stage hands over with `owner: keep` or `none`, or there is no routing.yaml
NO_TERRITORY = "(fallback)"  # no territory matched: routing's later strategies (the fallback owner) decide
MODELS = ("current", "candidate")


HANDOVER_TOLERANCE = timedelta(hours=1)  # a real handover follows its MQL by a drain's lag, not by hours


@dataclass(frozen=True)
class BacktestWindow:
    """The window `[start, end)` the figures count in; `start` None: since each contact's first signal."""

    start: datetime | None
    end: datetime

    def holds(self, moment: datetime) -> bool:
        """Return whether the moment lies in the window."""
        return (self.start is None or self.start <= moment) and moment < self.end


@dataclass(frozen=True)
class HandoverRules:
    """Which stages hand over (stage → whether entering it routes an owner), and the routing that picks the pool."""

    stages: Mapping[str, bool] = field(default_factory=dict)
    routing: RoutingConfig | None = None
    from_recycle: bool = False  # handover.yaml's recycle.engagement_from_recycle: a new cycle counts its own events

    @classmethod
    def of(cls, handover: HandoverConfig | None, routing: RoutingConfig | None) -> HandoverRules:
        """The handover rules of the service's handover.yaml and routing.yaml (none without a handover.yaml)."""
        if handover is None:
            return cls()
        stages = {stage_id: handover.routes(stage_id) for stage_id in handover.stages}
        return cls(stages, routing, handover.recycle.engagement_from_recycle)

    def pool_of(self, stage: str, contact: Mapping[str, object], company: Mapping[str, object]) -> str:
        """The owner pool a lead entering `stage` goes to: the first matching territory's (owners' capacity, absences
        and existing owners left aside)."""
        if not self.stages.get(stage) or self.routing is None:
            return NOT_ROUTED
        types = self.routing.property_types
        records = {
            "contact": PropertyRecord(convert_properties(contact, "contact", types)),
            "company": PropertyRecord(convert_properties(company, "company", types)),
        }
        territory = next((t for t in self.routing.territories if t.condition.matches(records)), None)
        return NO_TERRITORY if territory is None else territory.pool


@dataclass(frozen=True, slots=True)
class StageMove:
    """A stage one model has the contact enter in the window and the other never does: `gained` (the candidate
    enters it) or `lost`; `at` is the first entry under the model that has it."""

    contact_id: str
    stage: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Earliest:
    """The first moment the contact would have qualified under each model (None: never, up to the window's end)."""

    contact_id: str
    current: datetime | None
    candidate: datetime | None


@dataclass
class OutcomeCounts:
    """One outcome over the contacts a model qualifies in the window that reality handed over."""

    positives: int = 0
    negatives: int = 0
    pending: int = 0

    @property
    def ratio(self) -> Ratio:
        """Positives over known outcomes."""
        return Ratio(self.positives, self.positives + self.negatives)


@dataclass
class ModelFigures:
    """What one model would have done."""

    model: str
    mql_weeks: Counter[str] = field(default_factory=Counter)
    sql_weeks: Counter[str] = field(default_factory=Counter)
    qualified: int = 0  # contacts entering a qualified stage in the window
    handovers: Counter[str] = field(default_factory=Counter)
    with_outcome: int = 0  # qualified contacts reality handed over in the window
    never_handed_over: int = 0  # qualified contacts reality did not hand over in the window: no outcome
    qualified_late: int = 0  # qualified only after reality's handover (or deal): the outcome is not the model's
    outcomes: dict[Outcome, OutcomeCounts] = field(default_factory=lambda: {o: OutcomeCounts() for o in OUTCOMES})

    @property
    def mqls(self) -> int:
        """MQLs in the window."""
        return sum(self.mql_weeks.values())

    @property
    def sqls(self) -> int:
        """SQLs in the window."""
        return sum(self.sql_weeks.values())


@dataclass
class BacktestReport:
    """The comparison of the two models over every contact added."""

    window: BacktestWindow
    as_of: datetime
    current: ModelFigures
    candidate: ModelFigures
    contacts: int = 0
    todays_values: int = 0  # contacts whose (or whose company's) values are today's, not their history
    handed_over: int = 0  # contacts reality handed over in the window
    known_positives: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    gained: list[StageMove] = field(default_factory=list)
    lost: list[StageMove] = field(default_factory=list)
    earliest: list[Earliest] = field(default_factory=list)

    def figures(self, which: str) -> ModelFigures:
        """The figures of `current` or `candidate`."""
        return self.current if which == "current" else self.candidate

    @property
    def weeks(self) -> list[str]:
        """Every ISO week holding an MQL or an SQL under either model, in order."""
        found = set[str]()
        for figures in (self.current, self.candidate):
            found.update(figures.mql_weeks, figures.sql_weeks)
        return sorted(found)


class Backtest:
    """Replays contacts under both models and accumulates the report."""

    def __init__(
        self,
        current: ScoringModel,
        candidate: ScoringModel,
        window: BacktestWindow,
        handover: HandoverRules,
        horizon: Horizon,
    ) -> None:
        self.models = {"current": current, "candidate": candidate}
        self.window = BacktestWindow(None if window.start is None else as_utc(window.start), as_utc(window.end))
        self.handover = handover
        self.horizon = horizon
        self.report = BacktestReport(
            self.window, horizon.as_of, ModelFigures(current.model), ModelFigures(candidate.model)
        )

    def add(self, contact: ReplayContact, cycles: Sequence[LeadCycle] = ()) -> None:
        """Replay one contact under both models; `cycles`: its lead cycles in reality (the KPI facts)."""
        report = self.report
        report.contacts += 1
        report.todays_values += contact.contact.todays or contact.company.todays
        cycle = self._handed_over(cycles)
        if cycle is not None:
            report.handed_over += 1
            for outcome in OUTCOMES:
                report.known_positives[outcome] += OUTCOME_OF[outcome](cycle, self.horizon) is True
        start = replay_start(contact, self.window)
        starts, end = recycles(cycles), max(self.window.end, start)
        entered: dict[str, dict[str, datetime]] = {}
        earliest: dict[str, datetime | None] = {}
        for which, model in self.models.items():
            found = cycle_entries(model, contact, start, end, starts, self.handover.from_recycle)
            figures = report.figures(which)
            entered[which], earliest[which] = self._count(figures, model, contact, found, starts, cycle)
        self._compare(contact.contact_id, entered, earliest)

    def _handed_over(self, cycles: Sequence[LeadCycle]) -> LeadCycle | None:
        """The contact's first lead cycle handed over in the window (by `as_of`): the one whose outcomes count."""
        handed = [c for c in cycles if self.horizon.reached(c.handed_over_at)]
        handed = [c for c in handed if c.handed_over_at and self.window.holds(as_utc(c.handed_over_at))]
        return min(handed, key=lambda c: as_utc(c.handed_over_at or self.window.end), default=None)

    def _count(
        self,
        figures: ModelFigures,
        model: ScoringModel,
        contact: ReplayContact,
        found: Sequence[StageChange],
        starts: Sequence[datetime],
        handed: LeadCycle | None,
    ) -> tuple[dict[str, datetime], datetime | None]:
        """Count the entries' MQLs, SQLs and handovers in the window — each once per qualification cycle (`starts`:
        reality's recycles), as Leadflow counts them (a lead decaying out and back in within a cycle is not a new
        MQL) — and judge the contact's first MQL in the window against reality's outcome (`handed`: its cycle handed
        over in the window)."""
        qualified = set(model.qualified_stages)
        sql = sql_stages(model)
        counted: set[tuple[int, str]] = set()  # (cycle span, "mql" | "sql" | a handed-over stage) already counted
        entered: dict[str, datetime] = {}
        earliest: datetime | None = None
        first_in_window: datetime | None = None
        for change in found:
            if change.after is None or change.at >= self.window.end:
                continue
            span = bisect_right(starts, change.at)
            firsts = set[str]()
            if change.after in qualified and change.before not in qualified:
                earliest = earliest or change.at
                firsts.add("mql")
            if change.after in sql and change.before not in sql:
                firsts.add("sql")
            if change.after in self.handover.stages and not _ranks_at_or_above(model, change.before, change.after):
                firsts.add(change.after)
            firsts -= {kind for s, kind in counted if s == span}
            counted.update((span, kind) for kind in firsts)
            if not self.window.holds(change.at):
                continue
            entered.setdefault(change.after, change.at)
            week = iso_week(change.at)
            if "mql" in firsts:
                figures.mql_weeks[week] += 1
                first_in_window = first_in_window or change.at
            if "sql" in firsts:
                figures.sql_weeks[week] += 1
            if change.after in firsts:
                values = contact.contact.at(change.at), contact.company.at(change.at)
                figures.handovers[self.handover.pool_of(change.after, *values)] += 1
        if first_in_window is not None:
            figures.qualified += 1
            self._judge(figures, handed, first_in_window)
        return entered, earliest

    def _judge(self, figures: ModelFigures, cycle: LeadCycle | None, qualified_at: datetime) -> None:
        if cycle is None:
            figures.never_handed_over += 1
            return
        if not _in_time(qualified_at, cycle):
            figures.qualified_late += 1
            return
        figures.with_outcome += 1
        for outcome in OUTCOMES:
            result = OUTCOME_OF[outcome](cycle, self.horizon)
            counts = figures.outcomes[outcome]
            if result is None:
                counts.pending += 1
            elif result:
                counts.positives += 1
            else:
                counts.negatives += 1

    def _compare(
        self, contact_id: str, entered: Mapping[str, Mapping[str, datetime]], earliest: Mapping[str, datetime | None]
    ) -> None:
        current, candidate = entered["current"], entered["candidate"]
        self.report.gained.extend(StageMove(contact_id, s, at) for s, at in candidate.items() if s not in current)
        self.report.lost.extend(StageMove(contact_id, s, at) for s, at in current.items() if s not in candidate)
        if earliest["current"] is not None or earliest["candidate"] is not None:
            self.report.earliest.append(Earliest(contact_id, earliest["current"], earliest["candidate"]))


def backtest(
    current: ScoringModel,
    candidate: ScoringModel,
    contacts: Iterable[tuple[ReplayContact, Sequence[LeadCycle]]],
    window: BacktestWindow,
    handover: HandoverRules,
    horizon: Horizon,
) -> BacktestReport:
    """Replay every contact (with its lead cycles in reality) under both models and compare."""
    run = Backtest(current, candidate, window, handover, horizon)
    for contact, cycles in contacts:
        run.add(contact, cycles)
    return run.report


def replay_start(contact: ReplayContact, window: BacktestWindow) -> datetime:
    """Where a contact's replay starts: at its first signal or dated value (before it, Leadflow knew nothing of
    it); at the window's start for a contact without either."""
    beginning = contact.beginning
    if beginning is not None:
        return beginning
    return window.end if window.start is None else window.start


def cycle_entries(
    model: ScoringModel,
    contact: ReplayContact,
    start: datetime,
    end: datetime,
    starts: Sequence[datetime],
    from_recycle: bool,
) -> list[StageChange]:
    """The contact's stage entries from `start` to `end`, cycle by cycle as Leadflow lived them: each of reality's
    recycles (`starts`) begins a new cycle, whose stage at that moment is entered afresh (a lead still qualified
    after a rejection qualifies again in its new cycle, as the drain does); with `from_recycle`, a cycle's
    engagement counts only the events from its recycle on (handover.yaml's `recycle.engagement_from_recycle`)."""
    bounds = [start, *(moment for moment in starts if start < moment < end), end]
    found: list[StageChange] = []
    for index, (begin, finish) in enumerate(pairwise(bounds)):
        part = contact
        if index and from_recycle:
            part = replace(contact, events=tuple(e for e in contact.events if as_utc(e.occurred_at) >= begin))
        found.extend(entries(replay_contact(model, part, begin, finish)))
    return found


def entries(timeline: StageTimeline) -> list[StageChange]:
    """The timeline's changes, its initial stage counted as entered at its start."""
    first = [StageChange(timeline.start, None, timeline.initial)] if timeline.initial is not None else []
    return [*first, *timeline.changes]


def recycles(cycles: Sequence[LeadCycle]) -> tuple[datetime, ...]:
    """The moments reality started a new qualification cycle (a recycle): the `created_at` of every cycle after the
    first, sorted. They split a replayed timeline into the cycles its MQLs, SQLs and handovers count once in."""
    return tuple(sorted(as_utc(c.created_at) for c in cycles if (c.cycle or 1) > 1 and c.created_at is not None))


def sql_stages(model: ScoringModel) -> tuple[str, ...]:
    """`sql` and the stages ranked above it; none for a model without an `sql` stage."""
    stages = model.stage_ids
    return stages[: stages.index("sql") + 1] if "sql" in stages else ()


def iso_week(moment: datetime) -> str:
    """The ISO week of a moment in UTC: `2026-W45`."""
    year, week, _ = as_utc(moment).isocalendar()
    return f"{year}-W{week:02d}"


def _ranks_at_or_above(model: ScoringModel, stage: str | None, other: str) -> bool:
    """Whether `stage` is `other` or ranked above it in the model (sales already have the lead: no new handover)."""
    stages = model.stage_ids
    return stage is not None and stage in stages and other in stages and stages.index(stage) <= stages.index(other)


def _in_time(qualified_at: datetime, cycle: LeadCycle) -> bool:
    """Return whether a model's qualification could have caused reality's outcome: by the real handover (with
    HANDOVER_TOLERANCE for the drain's lag) and before the real deal. A model that qualifies a lead only after sales
    had it, or after its deal, would get credit for what the handover and the deal did."""
    handed = cycle.handed_over_at
    deal = cycle.deal_created_at
    if handed is not None and qualified_at > as_utc(handed) + HANDOVER_TOLERANCE:
        return False
    return deal is None or qualified_at < as_utc(deal)
