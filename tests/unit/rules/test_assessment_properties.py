"""Properties of `assess` on random models and inputs, and agreement with an independent reference."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules import EngagementEvent, ScoringModel, assess
from app.rules.expressions import FIT_NAMES, STAGE_NAMES, compile_condition
from app.rules.scoring.model import EventWeight, FitRule, GradeBand, Stage

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
RULE_COUNT = 5
EVENT_TYPES = ("e0", "e1", "e2", "e3")
CONDITIONS = tuple(compile_condition(f"contact.p{i} == 'y'", FIT_NAMES) for i in range(RULE_COUNT))
HOT = compile_condition("fit >= 40 and engagement >= 20 and 'e0' in events_last_30d", STAGE_NAMES)
EXAMPLES = settings(max_examples=120, deadline=None)

halves = st.integers(-80, 80).map(lambda n: n / 2)  # ties make rounding half up observable
points = st.one_of(st.integers(-40, 40), halves, st.floats(-40, 40, allow_nan=False, allow_infinity=False))
non_negative = st.one_of(st.integers(0, 150), st.floats(0, 150, allow_nan=False, allow_infinity=False))
positive_points = st.one_of(st.integers(1, 40), st.floats(0.01, 40, allow_nan=False, allow_infinity=False))


@dataclass(frozen=True)
class Spec:
    """A random model in plain numbers, for the reference computation."""

    fit_points: tuple[float, ...]
    fit_limit: float
    events: tuple[tuple[str, float, float | None], ...]
    engagement_limit: float
    half_life: float | None
    fit_grades: tuple[tuple[str, float], ...]


@st.composite
def specs(draw: st.DrawFn, event_points: st.SearchStrategy[float] = points) -> Spec:
    return Spec(
        fit_points=tuple(draw(st.lists(points, max_size=RULE_COUNT))),
        fit_limit=draw(non_negative),
        events=tuple(
            (name, draw(event_points), draw(st.none() | non_negative))
            for name in draw(st.lists(st.sampled_from(EVENT_TYPES), unique=True, max_size=len(EVENT_TYPES)))
        ),
        engagement_limit=draw(non_negative),
        half_life=draw(st.none() | st.floats(0.5, 400)),
        fit_grades=tuple((f"G{n}", threshold) for n, threshold in enumerate(draw(st.lists(points, max_size=4)))),
    )


def build(spec: Spec) -> ScoringModel:
    return ScoringModel(
        model="random",
        fit_limit=spec.fit_limit,
        fit_rules=tuple(FitRule(f"r{i}", f"Rule {i}", CONDITIONS[i], p) for i, p in enumerate(spec.fit_points)),
        engagement_limit=spec.engagement_limit,
        events=tuple(EventWeight(name, name.upper(), p, cap) for name, p, cap in spec.events),
        half_life_days=spec.half_life,
        fit_grades=tuple(GradeBand(label, threshold) for label, threshold in spec.fit_grades),
        stages=(Stage("hot", "Hot", HOT),),
    )


contacts = st.fixed_dictionaries({f"p{i}": st.sampled_from(["y", "n", ""]) for i in range(RULE_COUNT)})
event_lists = st.lists(
    st.builds(
        EngagementEvent,
        st.sampled_from((*EVENT_TYPES, "unnamed")),
        st.integers(-5 * 86_400, 800 * 86_400).map(lambda seconds: NOW - timedelta(seconds=seconds)),
    ),
    max_size=12,
)


def reference(spec: Spec, contact: dict[str, str], events: list[EngagementEvent], now: datetime) -> dict[str, object]:
    """Compute the assessment from SCORING-MODEL.md with plain loops, sharing no code with app.rules."""
    matched = []
    for i, rule_points in enumerate(spec.fit_points):
        if contact[f"p{i}"] == "y":
            matched.append((f"r{i}", rule_points))
    fit = math.floor(min(max(math.fsum(p for _, p in matched), 0), spec.fit_limit) + 0.5)
    reasons = [(rule_id, math.floor(p + 0.5), None) for rule_id, p in matched if math.floor(p + 0.5) != 0]
    contributions = []
    for name, event_points, cap in spec.events:
        terms = []
        for event in events:
            if event.type == name and event.occurred_at <= now:
                age = (now - event.occurred_at).total_seconds() / 86_400
                terms.append(event_points * (1.0 if spec.half_life is None else 0.5 ** (age / spec.half_life)))
        raw = math.fsum(terms)
        if cap is not None and abs(raw) > cap:
            raw = cap if raw > 0 else -cap
        contributions.append(raw)
        if math.floor(raw + 0.5) != 0:  # a reason whose rounded points are 0 explains nothing
            reasons.append((name, math.floor(raw + 0.5), len(terms)))
    engagement = math.floor(min(max(math.fsum(contributions), 0), spec.engagement_limit) + 0.5)
    grade = ""
    for label, threshold in spec.fit_grades:
        if threshold <= fit:
            grade = label
            break
    recent = any(e.type == "e0" and now - timedelta(days=30) <= e.occurred_at <= now for e in events)
    reasons.sort(key=lambda reason: (-abs(reason[1]), reason[0]))
    return {
        "fit": fit,
        "engagement": engagement,
        "score": fit + engagement,
        "grade": grade,
        "stage": "hot" if fit >= 40 and engagement >= 20 and recent else None,
        "reasons": reasons,
    }


@EXAMPLES
@given(specs(), contacts, event_lists)
def test_assess_agrees_with_an_independent_reference(
    spec: Spec, contact: dict[str, str], events: list[EngagementEvent]
) -> None:
    assessment = assess(build(spec), contact, {}, events, NOW)
    observed = {
        "fit": assessment.fit,
        "engagement": assessment.engagement,
        "score": assessment.score,
        "grade": assessment.grade,
        "stage": assessment.stage,
        "reasons": [(reason.id, reason.points, reason.count) for reason in assessment.reasons],
    }
    assert observed == reference(spec, contact, events, NOW)


@EXAMPLES
@given(specs(), contacts, event_lists)
def test_fit_and_engagement_stay_within_zero_and_their_limits(
    spec: Spec, contact: dict[str, str], events: list[EngagementEvent]
) -> None:
    assessment = assess(build(spec), contact, {}, events, NOW)
    assert 0 <= assessment.fit <= math.floor(spec.fit_limit + 0.5)
    assert 0 <= assessment.engagement <= math.floor(spec.engagement_limit + 0.5)
    assert assessment.score == assessment.fit + assessment.engagement


@EXAMPLES
@given(specs(event_points=positive_points), event_lists, st.integers(0, 400 * 86_400))
def test_engagement_never_grows_as_the_same_events_age(
    spec: Spec, events: list[EngagementEvent], later_by: int
) -> None:
    model = build(spec)
    past = [event for event in events if event.occurred_at <= NOW]
    now_engagement = assess(model, {}, {}, past, NOW).engagement
    later_engagement = assess(model, {}, {}, past, NOW + timedelta(seconds=later_by)).engagement
    assert later_engagement <= now_engagement


@EXAMPLES
@given(specs(), event_lists)
def test_no_event_type_contributes_more_than_its_cap(spec: Spec, events: list[EngagementEvent]) -> None:
    model = build(spec)
    caps = {weight.type: weight.cap for weight in model.events}
    for reason in assess(model, {}, {}, events, NOW).reasons:
        cap = caps.get(reason.id)
        if reason.count is not None and cap is not None:
            assert abs(reason.points) <= math.floor(cap + 0.5)


@EXAMPLES
@given(specs(), contacts, event_lists, st.data())
def test_the_order_of_events_does_not_matter(
    spec: Spec, contact: dict[str, str], events: list[EngagementEvent], data: st.DataObject
) -> None:
    model = build(spec)
    shuffled = data.draw(st.permutations(events))
    assert assess(model, contact, {}, shuffled, NOW) == assess(model, contact, {}, events, NOW)
