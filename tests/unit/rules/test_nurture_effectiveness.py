"""Nurture effectiveness (docs/nurture.md, "Measuring") on a hand-computed ledger: reach, completion, next step,
MQL within N days over matured offers only, the median time to the next step, transitions and where paths stop,
per step and per track, as of a moment and in a window; and the KPI breakdown by nurture track."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules.configuration import load_configuration
from app.rules.kpis import LeadCycle
from app.rules.kpis.breakdowns import NO_TRACK, breakdown
from app.rules.kpis.figures import Ratio
from app.rules.kpis.nurture import (
    MQL,
    STOPPED,
    NurtureEffectiveness,
    OfferHistories,
    days_figure,
    nurture_effectiveness,
)
from app.rules.nurture import NurtureConfig, OfferRecord

T = datetime(2026, 12, 1, tzinfo=UTC)  # as of


def ago(days: float) -> datetime:
    return T - timedelta(days=days)


def offer(contact: str, step: str, offered: float, completed: float | None = None, converted: float | None = None,
          track: str = "awareness") -> OfferRecord:  # fmt: skip
    """An offer `offered` days before T (negative: after it), completed and converted so many days before T."""
    return OfferRecord(contact, track, step, ago(offered), None if completed is None else ago(completed),
                       None if converted is None else ago(converted))  # fmt: skip


LEDGER = [
    # A: checklist, completed, then the webinar; an MQL 15 days after the checklist, 5 after the webinar
    offer("A", "checklist", 60, completed=58, converted=45),
    offer("A", "webinar-invite", 50, converted=45),
    # B: checklist, completed, then the webinar; no MQL
    offer("B", "checklist", 40, completed=39),
    offer("B", "webinar-invite", 34),
    # C: checklist only: the path stops there
    offer("C", "checklist", 35),
    # D: checklist 10 days ago (not matured for 30 days), MQL since; completed only after T
    offer("D", "checklist", 10, completed=-2, converted=5),
    # E: the decision track, two steps, no MQL
    offer("E", "roi-calculator", 20, completed=19, track="decision"),
    offer("E", "customer-story", 15, track="decision"),
    # F: a step nurture.yaml no longer names, then the checklist; an MQL 35 days after the checklist
    offer("F", "old-ebook", 70, converted=30),
    offer("F", "checklist", 65, converted=30),
    # G: offered after T: not there yet
    offer("G", "checklist", -1),
]


@pytest.fixture(scope="module")
def nurture(config_dir: Path) -> NurtureConfig:
    config = load_configuration(config_dir).nurture
    assert config is not None
    return config


@pytest.fixture(scope="module")
def report(nurture: NurtureConfig) -> NurtureEffectiveness:
    return nurture_effectiveness(LEDGER, T, 30, config=nurture)


def test_the_checklist_step_figures(report: NurtureEffectiveness) -> None:
    checklist = report.step("checklist")
    assert checklist is not None
    assert (checklist.track, checklist.reach, checklist.offers) == ("awareness", 5, 5)  # A B C D F (G: after T)
    assert checklist.completed == Ratio(2, 5)  # A, B (D's completion came after T)
    assert checklist.next_step == Ratio(2, 5)  # A, B went on to the webinar
    assert checklist.mql == Ratio(1, 4)  # matured: A B C F; A within 15 days, F after 35
    assert checklist.maturing == 1  # D, 10 days old
    assert checklist.days_to_next.seconds == (6 * 86_400, 10 * 86_400)  # B 6 days, A 10
    assert checklist.median_to_next == 6 * 86_400  # nearest rank: the first of two
    assert checklist.stopped == Ratio(1, 5)  # C


def test_the_webinar_and_the_decision_steps(report: NurtureEffectiveness) -> None:
    webinar = report.step("webinar-invite")
    assert webinar is not None
    assert (webinar.reach, webinar.completed, webinar.next_step) == (2, Ratio(0, 2), Ratio(0, 2))
    assert (webinar.mql, webinar.maturing) == (Ratio(1, 2), 0)  # A within 5 days; B matured (34 days), no MQL
    assert webinar.median_to_next is None
    roi = report.step("roi-calculator")
    assert roi is not None
    assert (roi.completed, roi.next_step, roi.mql, roi.maturing) == (Ratio(1, 1), Ratio(1, 1), Ratio(0, 0), 1)
    assert roi.median_to_next == 5 * 86_400


def test_steps_follow_the_config_then_the_retired_ones(report: NurtureEffectiveness) -> None:
    assert [figures.key for figures in report.steps] == [
        "roi-calculator", "customer-story", "comparison-guide", "pricing-overview", "checklist", "webinar-invite",
        "best-of-newsletter", "whats-new", "recycled-checklist", "recycled-webinar", "old-ebook",
    ]  # fmt: skip
    retired = report.step("old-ebook")
    assert retired is not None and not retired.configured and retired.track == "awareness"
    assert (retired.next_step, retired.mql) == (Ratio(1, 1), Ratio(0, 1))  # its MQL came 40 days later
    never = report.step("best-of-newsletter")
    assert never is not None and (never.reach, never.completed) == (0, Ratio(0, 0))
    assert (report.offers, report.contacts) == (10, 6)


def test_transitions_and_where_paths_stop(report: NurtureEffectiveness) -> None:
    assert [(t.to, t.ratio) for t in report.transitions_from("checklist")] == [
        (MQL, Ratio(2, 5)), ("webinar-invite", Ratio(2, 5)), (STOPPED, Ratio(1, 5))
    ]  # fmt: skip
    # D and F became MQLs with no later step; A and B got the webinar; C stopped
    assert [(t.to, t.ratio.part) for t in report.transitions_from("webinar-invite")] == [(MQL, 1), (STOPPED, 1)]
    assert [(t.to, t.ratio.part) for t in report.transitions_from("roi-calculator")] == [("customer-story", 1)]
    assert [(t.to, t.ratio.part) for t in report.transitions_from("old-ebook")] == [("checklist", 1)]
    assert report.transitions_from("best-of-newsletter") == ()


def test_the_tracks_sum_their_steps_offers(report: NurtureEffectiveness) -> None:
    awareness, decision = report.track("awareness"), report.track("decision")
    assert awareness is not None and decision is not None
    assert (awareness.label, awareness.reach, awareness.offers) == ("Awareness phase", 5, 8)  # A B C D F
    assert (awareness.completed, awareness.next_step, awareness.stopped) == (Ratio(2, 8), Ratio(3, 8), Ratio(2, 8))
    assert (awareness.mql, awareness.maturing) == (Ratio(2, 7), 1)
    assert (decision.reach, decision.offers, decision.mql, decision.maturing) == (1, 2, Ratio(0, 0), 2)
    assert [figures.key for figures in report.tracks] == ["decision", "consideration", "awareness", "recycled"]


def test_a_window_keeps_the_offers_made_in_it_but_follows_them_beyond() -> None:
    found = nurture_effectiveness(LEDGER, T, 30, window_from=ago(66), window_to=ago(55))
    checklist = found.step("checklist")
    assert checklist is not None and checklist.reach == 2  # F (65 days ago) and A (60)
    assert checklist.next_step == Ratio(1, 2)  # A's webinar, offered after the window, counts
    assert checklist.median_to_next == 10 * 86_400
    assert found.step("old-ebook") is None  # 70 days ago: outside, and without a config only offered steps show
    assert [f.key for f in found.steps] == ["checklist"]
    half_open = nurture_effectiveness(LEDGER, T, 30, window_from=ago(40), window_to=ago(10))
    assert {f.key: f.reach for f in half_open.steps} == {"checklist": 2, "webinar-invite": 1,
                                                           "customer-story": 1, "roi-calculator": 1}  # fmt: skip


def test_as_of_hides_what_happened_later_and_the_mql_window_is_a_parameter() -> None:
    earlier = nurture_effectiveness(LEDGER, ago(44), 30)
    checklist = earlier.step("checklist")
    assert checklist is not None and checklist.reach == 2  # F and A; B's checklist came later
    assert checklist.mql == Ratio(0, 0) and checklist.maturing == 2  # A 16 days old, F 21: none matured
    assert [(t.to, t.ratio.part) for t in earlier.transitions_from("checklist")] == [
        (STOPPED, 1), ("webinar-invite", 1)
    ]  # fmt: skip
    # F's MQL came after that moment: as of it, F's path stopped
    longer = nurture_effectiveness(LEDGER, T, 40).step("checklist")
    assert longer is not None and (longer.mql, longer.maturing) == (Ratio(2, 3), 2)  # F counts; C, D too young
    with pytest.raises(ValueError, match="at least 1"):
        nurture_effectiveness(LEDGER, T, 0)


def test_an_offer_made_at_as_of_counts_and_naive_times_are_utc() -> None:
    naive = OfferRecord("A", "awareness", "checklist", T.replace(tzinfo=None), T.replace(tzinfo=None))
    found = nurture_effectiveness([naive], T.replace(tzinfo=None), 30, window_to=T + timedelta(days=1))
    checklist = found.step("checklist")
    assert checklist is not None and (checklist.reach, checklist.completed, checklist.maturing) == (1, Ratio(1, 1), 1)
    assert found.as_of == T and nurture_effectiveness([naive], T, 30, window_to=T).offers == 0  # [from, to)


def test_days_are_printed_with_one_decimal_rounded_half_up() -> None:
    assert [days_figure(s) for s in (0, 129_600, 4_320, 86_400 * 6)] == ["0.0", "1.5", "0.1", "6.0"]


def later(offered: int, completed: int | None, converted: int | None) -> tuple[int | None, int | None]:
    """Completion and conversion so many days after the offer, as days before T."""
    return (None if completed is None else offered - completed, None if converted is None else offered - converted)


def random_offer(contact: str, step: str, offered: int, completed: int | None, converted: int | None) -> OfferRecord:
    return offer(contact, step, offered, *later(offered, completed, converted), track=step[0])


days_after = st.none() | st.integers(0, 60)
an_offer = st.builds(random_offer, st.sampled_from("abcd"), st.sampled_from(["s1", "s2", "t1"]), st.integers(-5, 90),
                     days_after, days_after)  # fmt: skip
offers = st.lists(
    an_offer,
    max_size=30,
    unique_by=lambda o: (o.contact_id, o.step),
)


@settings(max_examples=200, deadline=None)
@given(offers, st.integers(1, 60))
def test_every_offer_is_counted_once_in_each_breakdown(records: list[OfferRecord], days: int) -> None:
    found = nurture_effectiveness(records, T, days)
    for figures in (*found.steps, *found.tracks):
        assert figures.mql.whole + figures.maturing == figures.offers
        for ratio in (figures.completed, figures.next_step, figures.mql, figures.stopped):
            assert 0 <= ratio.part <= ratio.whole
        assert figures.days_to_next.count == figures.next_step.part
    for step in found.steps:
        assert sum(t.ratio.part for t in found.transitions_from(step.key)) == step.offers == step.reach
    assert sum(track.offers for track in found.tracks) == found.offers == sum(step.offers for step in found.steps)
    assert found.offers == sum(1 for record in records if record.offered_at <= T)
    assert nurture_effectiveness(OfferHistories.of(records), T, days) == found  # the dashboard's kept index


def cycle(contact: str, mql: float | None, created: float = 80) -> LeadCycle:
    return LeadCycle(contact=contact, cycle=1, created_at=ago(created), mql_at=None if mql is None else ago(mql))


def test_the_kpi_breakdown_by_track_takes_the_last_offer_before_the_mql() -> None:
    nurtured = [
        *LEDGER,
        offer("A", "roi-calculator", 40, track="decision"),  # after A's MQL: not its track
        offer("H", "roi-calculator", 20, track="decision"),  # after H's MQL: H had no track then
    ]
    facts = [cycle("A", 45), cycle("B", None), cycle("E", None), cycle("H", 25), cycle("X", 30),
             cycle("F", 30)]  # fmt: skip
    groups = breakdown(facts, "track", ago(60), ago(16), T, nurtured)
    assert {key: (g.funnel["leads"], g.funnel["mqls"]) for key, g in groups.items()} == {
        NO_TRACK: (0, 2),  # H (its offer came after its MQL) and X (never offered)
        "awareness": (0, 2),  # A (the webinar before its MQL), F (the checklist 35 days before); B: no MQL
        "decision": (0, 0),  # E: never an MQL; the roi-calculator (20 days ago) before the window's end
    }
    # B, never an MQL, is grouped by its last offer before the window's end: the webinar 34 days ago
    assert set(breakdown([cycle("B", None)], "track", ago(60), ago(36), T, nurtured)) == {"awareness"}
    assert set(breakdown([cycle("B", None)], "track", ago(60), ago(45), T, nurtured)) == {NO_TRACK}
