"""What a scoring model read of a lead at its decision moment (docs/calibration.md, Suggestions): which fit rules
matched and how many events of each type counted, as the model's own engine sees them. Pure.

A fit rule's feature is 1 when its condition matched, else 0. An event type's feature is its **decayed count**: the
sum over its counted events of the model's decay (1 per event without `half_life_days`), held at the number of
events its cap lets count (`cap / |points|`, when both are set) — so the type's contribution to engagement is its
points times the feature. Either way, "points × feature" is what the rule gives the score (before the limits'
clamps and rounding), and a fitted coefficient per unit of feature can be turned into points.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from app.rules.calibration.outcomes import OUTCOME_OF, Horizon, Outcome, Window, cohort
from app.rules.calibration.replay import ReplayContact
from app.rules.kpis.facts import LeadCycle
from app.rules.scoring.assessment import FIT_MEMO, assess, in_utc, property_records
from app.rules.scoring.engagement import event_contributions
from app.rules.scoring.model import ScoringModel
from app.rules.values import as_utc

FeatureKind = Literal["fit", "event"]


@dataclass(frozen=True, slots=True)
class Feature:
    """A rule of the model as a feature: a fit rule (`fit`) or an engagement event type (`event`)."""

    kind: FeatureKind
    id: str
    label: str
    points: float
    cap: float | None = None

    @property
    def count_limit(self) -> float | None:
        """The events that count before the cap holds the contribution (None: no cap, or no points to cap)."""
        return None if self.cap is None or self.points == 0 else self.cap / abs(self.points)


@dataclass(frozen=True, slots=True)
class FeatureRow:
    """One lead cycle at its decision moment: its features (in the model's feature order), the current model's
    score then, and whether the outcome was positive."""

    contact_id: str
    at: datetime
    values: tuple[float, ...]
    score: int
    positive: bool


def model_features(model: ScoringModel) -> tuple[Feature, ...]:
    """The model's fit rules, then its event types, in file order."""
    fit = tuple(Feature("fit", rule.id, rule.label, rule.points) for rule in model.fit_rules)
    return fit + tuple(Feature("event", w.type, w.label, w.points, w.cap) for w in model.events)


class DecisionFeatures:
    """Reads a model's features of a contact at a moment, with the model's own conditions and decay."""

    def __init__(self, model: ScoringModel) -> None:
        self.model = model
        self.features = model_features(model)
        # Every weight 1 and no cap: the engine's contribution of a type is then its decayed count.
        self._counting = replace(model, events=tuple(replace(w, points=1.0, cap=None) for w in model.events))

    def row(self, contact: ReplayContact, at: datetime, positive: bool) -> FeatureRow:
        """The contact's features and current score at `at`, with the values holding then and the events by then."""
        values, company = contact.contact.at(at), contact.company.at(at)
        records = property_records(self.model, values, company, contact.property_types)
        fit = tuple(1.0 if FIT_MEMO.matches(rule.condition, records) else 0.0 for rule in self.model.fit_rules)
        counted = [event for event in in_utc(contact.events) if event.occurred_at <= at]
        counts = [share.raw for share in event_contributions(self._counting, counted, at)]
        limits = [feature.count_limit for feature in self.features[len(fit) :]]
        events = tuple(c if limit is None else min(c, limit) for c, limit in zip(counts, limits, strict=True))
        score = assess(self.model, values, company, contact.events, at, contact.property_types).score
        return FeatureRow(contact.contact_id, at, fit + events, score, positive)


def present(rows: Sequence[FeatureRow], index: int) -> list[bool]:
    """Whether each row has the feature at `index` (a matched rule, at least a trace of an event)."""
    return [row.values[index] > 0 for row in rows]


@dataclass(frozen=True)
class DecisionCycles:
    """The cohort's cycles with a known outcome, by contact (decision moment, positive), and those pending."""

    by_contact: dict[str, list[tuple[datetime, bool]]]
    cycles: int
    pending: int


def decision_cycles(facts: Iterable[LeadCycle], window: Window, horizon: Horizon, outcome: Outcome) -> DecisionCycles:
    """The cohort's cycles (docs/calibration.md, The cohort): each at its `mql_at`, with the outcome when known."""
    found: dict[str, list[tuple[datetime, bool]]] = defaultdict(list)
    members = [cycle for cycle in cohort(facts, window, horizon) if cycle.contact is not None]
    pending = 0
    for cycle in members:
        positive = OUTCOME_OF[outcome](cycle, horizon)
        if positive is None or cycle.mql_at is None or cycle.contact is None:
            pending += 1
            continue
        found[cycle.contact].append((as_utc(cycle.mql_at), positive))
    return DecisionCycles(dict(found), len(members), pending)
