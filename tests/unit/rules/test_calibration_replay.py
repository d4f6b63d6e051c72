"""The backtest's replay: the stage timeline of a contact equals `assess` at every moment (the consistency proof).

For random models (decay, caps, negative points, event windows, fit rules on the contact and its company), random
property histories and random events, the replayed stage at any moment — random ones, and each change's own
microsecond and the one before it — is the stage `assess` gives with the values holding then."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules import EngagementEvent, ScoringModel, assess
from app.rules.calibration.replay import ReplayContact, Version, Versions, replay_contact
from app.rules.expressions import FIT_NAMES, STAGE_NAMES, compile_condition
from app.rules.scoring.model import EventWeight, FitRule, GradeBand, Stage

START = datetime(2026, 9, 1, tzinfo=UTC)
END = START + timedelta(days=120)
DAY = timedelta(days=1)
MICROSECOND = timedelta(microseconds=1)


def truth(model: ScoringModel, contact: ReplayContact, moment: datetime) -> str | None:
    """`leadflow assess --at moment` on the values holding then: the reference."""
    return assess(model, contact.contact.at(moment), contact.company.at(moment), contact.events, moment).stage


def fit_model(events: tuple[EventWeight, ...], stages: tuple[Stage, ...], half_life: float | None = 30) -> ScoringModel:
    rules = (
        FitRule("vip", "VIP", compile_condition("contact.vip == 'yes'", FIT_NAMES), 40),
        FitRule("big", "Big", compile_condition("company.size == 'big'", FIT_NAMES), 25),
    )
    grades = (GradeBand("1", 20), GradeBand("2", 0))
    return ScoringModel("m", 100, rules, 100, events, half_life, engagement_grades=grades, stages=stages)


def stage(stage_id: str, when: str) -> Stage:
    return Stage(stage_id, stage_id.upper(), compile_condition(when, STAGE_NAMES))


def at(days: float) -> datetime:
    return START + timedelta(days=days)


class TestExamples:
    def test_an_mql_by_a_download_drops_out_when_decay_takes_a_point(self) -> None:
        model = fit_model((EventWeight("download", "Download", 10),), (stage("mql", "fit >= 40 and engagement >= 10"),))
        contact = ReplayContact("1", Versions.today({"vip": "yes"}), Versions(), (EngagementEvent("download", at(5)),))
        timeline = replay_contact(model, contact, START, END)
        assert timeline.initial is None
        entered, left = timeline.changes
        assert (entered.at, entered.before, entered.after) == (at(5), None, "mql")
        # 10 × 0.5^(d/30) < 9.5  ⇔  d > 30 × log2(10/9.5) = 2.2200 days
        assert left.after is None and abs((left.at - at(5)) / DAY - 30 * 0.0740005) < 1e-4
        assert truth(model, contact, left.at - MICROSECOND) == "mql" and truth(model, contact, left.at) is None

    def test_a_value_that_changes_later_in_history_changes_the_stage_then(self) -> None:
        model = fit_model((EventWeight("download", "Download", 10),), (stage("mql", "fit >= 60"),), None)
        history = Versions((Version(None, {"vip": "yes"}), Version(at(7), {"vip": "no"})))
        company = Versions((Version(at(3), {"size": "big"}),))
        contact = ReplayContact("1", history, company, ())
        timeline = replay_contact(model, contact, START, END)
        assert [(c.at, c.after) for c in timeline.changes] == [(at(3), "mql"), (at(7), None)]

    def test_an_sql_leaves_when_its_demo_leaves_the_window(self) -> None:
        stages = (stage("sql", "'demo' in events_last_7d"), stage("mql", "events_ever != []"))
        model = fit_model((EventWeight("demo", "Demo", 10),), stages, None)
        contact = ReplayContact("1", Versions(), Versions(), (EngagementEvent("demo", at(2)),))
        timeline = replay_contact(model, contact, START, END)
        assert [(c.at, c.after) for c in timeline.changes] == [(at(2), "sql"), (at(9) + MICROSECOND, "mql")]

    def test_values_are_read_with_the_portals_property_types_as_the_drain_reads_them(self) -> None:
        """A number the model does not declare is a number when the portal says so (setup's types), as in a drain."""
        rules = (FitRule("big", "Big", compile_condition("contact.employees >= 100", FIT_NAMES), 40),)
        model = ScoringModel("m", 100, rules, 100, (), None, engagement_grades=(GradeBand("1", 0),),
                             stages=(stage("mql", "fit >= 40"),))  # fmt: skip
        values = Versions.today({"employees": "250"})
        typed = ReplayContact("1", values, Versions(), (), {"contact.employees": "number"})
        untyped = ReplayContact("1", values, Versions(), ())
        assert replay_contact(model, typed, START, END).stage_at(at(5)) == "mql"
        assert replay_contact(model, untyped, START, END).stage_at(at(5)) is None  # the text '250' is no number

    def test_a_replay_that_ignored_the_history_would_be_caught(self) -> None:
        """The reference reads the values holding at the moment: today's values only would disagree."""
        model = fit_model((), (stage("mql", "fit >= 40"),), None)
        history = Versions((Version(at(10), {"vip": "yes"}),))
        contact = ReplayContact("1", history, Versions(), ())
        todays = ReplayContact("1", Versions.today({"vip": "yes"}), Versions(), ())
        assert replay_contact(model, contact, START, END).stage_at(at(5)) == truth(model, contact, at(5)) is None
        assert replay_contact(model, todays, START, END).stage_at(at(5)) != truth(model, contact, at(5))


NAMES = ("a", "b", "c")


@st.composite
def random_contacts(draw: st.DrawFn) -> tuple[ScoringModel, ReplayContact]:
    weights = tuple(
        EventWeight(
            name,
            name.upper(),
            draw(st.one_of(st.integers(-15, 25), st.floats(-15, 25, allow_nan=False))),
            draw(st.none() | st.floats(0.5, 40)),
        )
        for name in NAMES
    )
    window = draw(st.sampled_from(("events_last_7d", "events_last_30d", "events_last_90d")))
    high, low = draw(st.integers(0, 60)), draw(st.integers(0, 40))
    stages = (
        stage("sql", f"fit >= 40 and engagement >= {high} and 'a' in {window}"),
        stage("mql", f"score >= {low} and grade != 'x2'"),
    )
    model = fit_model(weights, stages, draw(st.none() | st.floats(1, 120)))
    days = st.floats(-10, 125, allow_nan=False)
    contact_versions = [
        Version(draw(st.none()) if i == 0 else at(draw(days)), {"vip": draw(st.sampled_from(("yes", "no")))})
        for i in range(draw(st.integers(0, 3)))
    ]
    company_versions = [
        Version(at(draw(days)), {"size": draw(st.sampled_from(("big", "small")))})
        for _ in range(draw(st.integers(0, 3)))
    ]
    events = [EngagementEvent(draw(st.sampled_from(NAMES)), at(draw(days))) for _ in range(draw(st.integers(0, 10)))]
    contact = ReplayContact("1", Versions(tuple(contact_versions)), Versions(tuple(company_versions)), tuple(events))
    return model, contact


@settings(max_examples=300, deadline=None)
@given(random_contacts(), st.lists(st.floats(0, 119.999, allow_nan=False), min_size=1, max_size=8))
def test_the_replayed_stage_is_assess_at_every_moment(
    case: tuple[ScoringModel, ReplayContact], days: list[float]
) -> None:
    model, contact = case
    timeline = replay_contact(model, contact, START, END)
    moments = [at(d) for d in days] + [START]
    for change in timeline.changes:
        moments += [change.at, change.at - MICROSECOND]
    for moment in moments:
        if START <= moment < END:
            assert timeline.stage_at(moment) == truth(model, contact, moment), f"at {moment}"
    for change in timeline.changes:
        assert change.before != change.after


def test_the_stage_walk_passes_over_changes_of_the_reasons_alone() -> None:
    from app.rules.scoring.timeline import assess_over_time, assess_stage_over_time

    weights = (EventWeight("download", "Download", 10), EventWeight("unsubscribe", "Unsubscribe", -10))
    model = fit_model(weights, (stage("mql", "engagement >= 0"),))
    events = [EngagementEvent("download", START), EngagementEvent("unsubscribe", START)]
    # +10 and -10 decay alike: engagement stays 0 for ever, while each reason loses a point after 2.2 days
    assert assess_over_time(model, {}, {}, events, START).next_change_at is not None
    staged = assess_stage_over_time(model, {}, {}, events, START)
    assert staged.next_change_at is None
    assert staged.assessment == assess(model, {}, {}, events, START)


def test_the_values_at_a_moment_are_the_latest_version_started_by_then() -> None:
    versions = Versions((Version(at(5), {"v": "b"}), Version(None, {"v": "a"}), Version(at(9), {"v": "c"})))
    assert [versions.at(moment)["v"] for moment in (at(0), at(5) - MICROSECOND, at(5), at(8), at(9), at(30))] == [
        "a", "a", "b", "b", "c", "c",
    ]  # fmt: skip
    dated = Versions((Version(at(5), {"v": "b"}),))
    assert dated.at(at(4)) == {} and dated.index_at(at(4)) == -1 and dated.at(at(5)) == {"v": "b"}


def test_the_stage_walk_follows_decay_past_the_values_that_keep_the_stage() -> None:
    """30 points decaying under an MQL bar of 15: the stage's next change is the crossing of 14.5 (31.5 days on),
    not the first point lost (0.7 days on), and the replay places it on the exact microsecond."""
    from app.rules.scoring.timeline import assess_over_time, assess_stage_over_time

    model = fit_model((EventWeight("download", "Download", 10),), (stage("mql", "fit >= 40 and engagement >= 15"),))
    events = tuple(EngagementEvent("download", at(5)) for _ in range(3))
    crossing = at(5) + timedelta(days=30 * math.log2(30 / 14.5))
    walk = assess_stage_over_time(model, {"vip": "yes"}, {}, events, at(5)).next_change_at
    assert walk is not None and crossing < walk <= crossing + timedelta(milliseconds=3)
    first_point = assess_over_time(model, {"vip": "yes"}, {}, events, at(5)).next_change_at
    assert first_point is not None and first_point < at(6)
    contact = ReplayContact("1", Versions.today({"vip": "yes"}), Versions(), events)
    timeline = replay_contact(model, contact, START, END)
    assert [(c.after, abs(c.at - crossing) < timedelta(milliseconds=1)) for c in timeline.changes] == [
        ("mql", False), (None, True),
    ]  # fmt: skip
    left = timeline.changes[-1].at
    assert truth(model, contact, left - MICROSECOND) == "mql" and truth(model, contact, left) is None
