"""The KPI report broken down by owner, grade at MQL, scoring model or nurture track (beyond docs/kpis.md's
contract: its JSON gains a `breakdowns` key only when asked). Each group's figures are the window's figures over
that group's facts alone, computed exactly as the report's (app/rules/kpis/report.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Literal

from app.rules.kpis.facts import LeadCycle, in_utc
from app.rules.kpis.figures import WindowFigures
from app.rules.kpis.nurture import OfferHistories
from app.rules.kpis.report import NONE, window_figures
from app.rules.nurture.facts import OfferRecord

Breakdown = Literal["owner", "grade", "model", "track"]
BREAKDOWNS: Mapping[Breakdown, Callable[[LeadCycle], str | None]] = {
    "owner": lambda fact: fact.owner,
    "grade": lambda fact: fact.grade_at_mql,
    "model": lambda fact: fact.model_at_mql,
}
NO_TRACK = "(none)"  # the track group of a lead cycle whose contact was offered no nurture step before it


def breakdown(
    facts: Iterable[LeadCycle],
    by: Breakdown,
    window_from: datetime,
    window_to: datetime,
    as_of: datetime,
    offers: Iterable[OfferRecord] = (),
) -> dict[str, WindowFigures]:
    """Return the window's figures per group (`none` for facts without the key), groups sorted by key; the track
    breakdown reads the nurture `offers` (see `nurture_track`)."""
    start, end, moment = in_utc(window_from), in_utc(window_to), in_utc(as_of)
    key = _track_key(OfferHistories.of(offers).by_contact, end, moment) if by == "track" else BREAKDOWNS[by]
    groups: dict[str, list[LeadCycle]] = {}
    for fact in facts:
        groups.setdefault(key(fact) or NONE, []).append(fact)
    return {group: window_figures(groups[group], start, end, moment) for group in sorted(groups)}


def _track_key(
    histories: Mapping[str, Sequence[OfferRecord]], window_to: datetime, as_of: datetime
) -> Callable[[LeadCycle], str | None]:
    def key(fact: LeadCycle) -> str:
        return nurture_track(fact, histories, window_to, as_of)

    return key


def nurture_track(
    fact: LeadCycle, histories: Mapping[str, Sequence[OfferRecord]], window_to: datetime, as_of: datetime
) -> str:
    """Return the track of the contact's last offer at or before the cycle became an MQL (by `as_of`), or, when it
    did not, before the window's end and by `as_of`; `(none)` without one."""
    mql_at = fact.mql_at if fact.mql_at is not None and fact.mql_at <= as_of else None
    last = NO_TRACK
    for offer in histories.get(fact.contact or "", ()):  # oldest first (ties by step id), in UTC
        offered_at = offer.offered_at
        if offered_at > as_of or (offered_at > mql_at if mql_at is not None else offered_at >= window_to):
            break
        last = offer.track
    return last
