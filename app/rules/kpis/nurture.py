"""Nurture effectiveness (docs/nurture.md, "Measuring"): from the ledger's offers, per step and per track, the
reach, completion, next-step and MQL-within-N-days rates with their n, the median time to the next step, and the
step-to-step transitions that show where paths stop. Pure; every rate is a `Ratio` (its Wilson interval and its
percentage come from app/rules/kpis/intervals.py and figures.py, as every KPI rate's).

It lives with the KPIs (which may use nurture's records) rather than in app/rules/nurture (which uses scoring only):
it is measurement, over the same arithmetic as the funnel's.

Honest as of `as_of`: an offer made after it is not there, a completion or conversion after it has not happened
yet, and the MQL rate counts only offers old enough to have had their N days (the others are counted apart).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from fractions import Fraction

from app.rules.kpis.figures import Durations, Ratio, round_half_up, whole_seconds
from app.rules.nurture.facts import OfferRecord
from app.rules.nurture.policy import NurtureConfig
from app.rules.values import as_utc

DEFAULT_MQL_WITHIN_DAYS = 30
STOPPED = "(stopped)"  # a transition's end: no later step and no MQL (as of as_of)
MQL = "(MQL)"  # a transition's end: the contact became an MQL, and no later step was offered
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class OfferFigures:
    """The figures of one step's offers, or of one track's (all its steps' offers)."""

    key: str  # the step's or the track's id
    label: str  # from nurture.yaml when it names it, else the id
    track: str  # the step's track (a track's own id)
    configured: bool  # named in nurture.yaml (False: only the ledger knows it, e.g. a step since removed)
    reach: int  # distinct contacts offered it
    offers: int  # offers (a step is offered once per contact: its reach)
    completed: Ratio  # offers completed / offers
    next_step: Ratio  # offers followed by a later offer of any step / offers
    mql: Ratio  # matured offers converted within N days / offers matured (offered_at + N days <= as_of)
    maturing: int  # offers not matured yet: outside the MQL rate
    days_to_next: Durations  # whole seconds from an offer to the contact's next offer, over those with one
    stopped: Ratio  # offers with no later offer and no MQL / offers

    @property
    def median_to_next(self) -> int | None:
        """Return the nearest-rank median of the time to the next step, whole seconds (None without one)."""
        return self.days_to_next.percentile(50)


@dataclass(frozen=True)
class Transition:
    """How many offers of `from_step` were followed by `to` (the next step offered, `(MQL)` or `(stopped)`)."""

    from_step: str
    to: str
    ratio: Ratio  # those offers / the offers of `from_step`


@dataclass(frozen=True)
class NurtureEffectiveness:
    """Every figure of the nurture report for offers made in the window (any time, without one) up to `as_of`."""

    as_of: datetime
    window_from: datetime | None
    window_to: datetime | None
    mql_within_days: int
    contacts: int  # distinct contacts offered a step in the window
    offers: int
    steps: tuple[OfferFigures, ...]  # nurture.yaml's order (track by track), then the steps it no longer names
    tracks: tuple[OfferFigures, ...]  # nurture.yaml's order, then the tracks it no longer names
    transitions: tuple[Transition, ...]  # by the order of `steps`, then most frequent first

    def step(self, step_id: str) -> OfferFigures | None:
        """Return the figures of a step, if it is listed."""
        return next((figures for figures in self.steps if figures.key == step_id), None)

    def track(self, track_id: str) -> OfferFigures | None:
        """Return the figures of a track, if it is listed."""
        return next((figures for figures in self.tracks if figures.key == track_id), None)

    def transitions_from(self, step_id: str) -> tuple[Transition, ...]:
        """Return the transitions out of a step, most frequent first."""
        return tuple(transition for transition in self.transitions if transition.from_step == step_id)


@dataclass(frozen=True)
class OfferHistories:
    """Every contact's offers in UTC, oldest first (ties by step id): built once per read of the ledger's offers (the
    dashboard keeps it), then measured for any window and moment."""

    by_contact: Mapping[str, tuple[OfferRecord, ...]]

    @classmethod
    def of(cls, records: Iterable[OfferRecord]) -> OfferHistories:
        """Return the histories of these offers; naive times are UTC."""
        histories: dict[str, list[OfferRecord]] = defaultdict(list)
        for record in records:
            histories[record.contact_id].append(_in_utc(record))
        return cls({contact: tuple(sorted(found, key=_order)) for contact, found in histories.items()})


@dataclass(frozen=True)
class _Outcome:
    """An offer in the window and what followed it by `as_of`: the contact's next offer, if any; its completion and
    conversion when they had happened by then."""

    offer: OfferRecord
    following: OfferRecord | None
    completed: bool
    converted_at: datetime | None
    to: str  # the next step, MQL or STOPPED


def nurture_effectiveness(
    records: Iterable[OfferRecord] | OfferHistories,
    as_of: datetime,
    mql_within_days: int = DEFAULT_MQL_WITHIN_DAYS,
    window_from: datetime | None = None,
    window_to: datetime | None = None,
    config: NurtureConfig | None = None,
) -> NurtureEffectiveness:
    """Return the effectiveness of the offers made in [window_from, window_to) (either bound optional) and by
    `as_of`; `config` gives the order and labels of the steps and tracks. Naive times are UTC."""
    if mql_within_days < 1:
        raise ValueError(f"mql_within_days must be at least 1, not {mql_within_days}")
    moment = as_utc(as_of)
    start = None if window_from is None else as_utc(window_from)
    end = None if window_to is None else as_utc(window_to)
    histories = records if isinstance(records, OfferHistories) else OfferHistories.of(records)
    outcomes = [
        outcome for history in histories.by_contact.values() for outcome in _outcomes(history, start, end, moment)
    ]
    within = timedelta(days=mql_within_days)
    by_step: dict[str, list[_Outcome]] = defaultdict(list)
    by_track: dict[str, list[_Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_step[outcome.offer.step].append(outcome)
        by_track[outcome.offer.track].append(outcome)
    step_order = _step_order(config, by_step)
    steps = tuple(_figures(step, label, track, known, by_step.get(step, []), moment, within)
                  for step, label, track, known in step_order)  # fmt: skip
    tracks = tuple(_figures(track, label, track, known, by_track.get(track, []), moment, within)
                   for track, label, known in _track_order(config, by_track))  # fmt: skip
    return NurtureEffectiveness(
        moment, start, end, mql_within_days,
        len({o.offer.contact_id for o in outcomes}), len(outcomes), steps, tracks,
        tuple(_transitions([step for step, _, _, _ in step_order], by_step)),
    )  # fmt: skip


def days_figure(seconds: int) -> str:
    """Return whole seconds as days with one decimal, rounded half up on the exact value (`129600` → `1.5`)."""
    return f"{float(round_half_up(Fraction(seconds, SECONDS_PER_DAY), 1)):.1f}"


def _outcomes(
    history: Sequence[OfferRecord], start: datetime | None, end: datetime | None, as_of: datetime
) -> Iterator[_Outcome]:
    """Yield the outcomes of a contact's offers made in [start, end) and by `as_of`, each with the contact's next
    offer made by `as_of`."""
    for index, offer in enumerate(history):
        if offer.offered_at > as_of or (end is not None and offer.offered_at >= end):
            return
        if start is not None and offer.offered_at < start:
            continue
        following = history[index + 1] if index + 1 < len(history) else None
        if following is not None and following.offered_at > as_of:
            following = None
        completed = offer.completed_at is not None and offer.completed_at <= as_of
        converted = offer.converted_at if offer.converted_at is not None and offer.converted_at <= as_of else None
        to = following.step if following is not None else MQL if converted is not None else STOPPED
        yield _Outcome(offer, following, completed, converted, to)


def _in_utc(record: OfferRecord) -> OfferRecord:
    offered = as_utc(record.offered_at)
    completed = None if record.completed_at is None else as_utc(record.completed_at)
    converted = None if record.converted_at is None else as_utc(record.converted_at)
    if (offered, completed, converted) == (record.offered_at, record.completed_at, record.converted_at):
        return record  # aware UTC already, as the ledger reads them
    return replace(record, offered_at=offered, completed_at=completed, converted_at=converted)


def _order(record: OfferRecord) -> tuple[datetime, str]:
    return record.offered_at, record.step


def _figures(
    key: str, label: str, track: str, configured: bool, outcomes: Sequence[_Outcome], as_of: datetime,
    within: timedelta,
) -> OfferFigures:  # fmt: skip
    offers = len(outcomes)
    matured = [o for o in outcomes if o.offer.offered_at + within <= as_of]
    converted = sum(1 for outcome in matured if _converted_within(outcome, within))
    gaps = (whole_seconds(o.offer.offered_at, o.following.offered_at) for o in outcomes if o.following is not None)
    return OfferFigures(
        key=key,
        label=label,
        track=track,
        configured=configured,
        reach=len({o.offer.contact_id for o in outcomes}),
        offers=offers,
        completed=Ratio(sum(1 for o in outcomes if o.completed), offers),
        next_step=Ratio(sum(1 for o in outcomes if o.following is not None), offers),
        mql=Ratio(converted, len(matured)),
        maturing=offers - len(matured),
        days_to_next=Durations.of(gap for gap in gaps if gap is not None),
        stopped=Ratio(sum(1 for o in outcomes if o.to == STOPPED), offers),
    )


def _converted_within(outcome: _Outcome, within: timedelta) -> bool:
    return outcome.converted_at is not None and outcome.converted_at - outcome.offer.offered_at <= within


def _step_order(
    config: NurtureConfig | None, found: Mapping[str, Sequence[_Outcome]]
) -> list[tuple[str, str, str, bool]]:
    """Return (step, label, track, configured): nurture.yaml's steps track by track, then the others by track and
    id (their track: that of their first offer)."""
    order = [] if config is None else [(s.id, s.label, t.id, True) for t in config.tracks for s in t.steps]
    named = {step for step, _, _, _ in order}
    others = sorted((outcomes[0].offer.track, step) for step, outcomes in found.items() if step not in named)
    return order + [(step, step, track, False) for track, step in others]


def _track_order(config: NurtureConfig | None, found: Mapping[str, Sequence[_Outcome]]) -> list[tuple[str, str, bool]]:
    """Return (track, label, configured): nurture.yaml's tracks (highest priority first), then the others by id."""
    order = [] if config is None else [(track.id, track.label, True) for track in config.tracks]
    named = {track for track, _, _ in order}
    return order + [(track, track, False) for track in sorted(found) if track not in named]


def _transitions(order: Sequence[str], by_step: Mapping[str, Sequence[_Outcome]]) -> list[Transition]:
    found: list[Transition] = []
    for step in order:
        outcomes = by_step.get(step, [])
        counts: dict[str, int] = defaultdict(int)
        for outcome in outcomes:
            counts[outcome.to] += 1
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        found += [Transition(step, to, Ratio(count, len(outcomes))) for to, count in ranked]
    return found
