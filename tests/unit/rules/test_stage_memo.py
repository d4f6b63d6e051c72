"""The stage-rule memo: a condition over plain facts (fit, engagement, score, grade, the event windows) is
remembered by the values it reads, with exactly the results of evaluating it; one that reads a record or a
built-in symbol is always evaluated."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules.expressions import STAGE_NAMES, FactMemo, PropertyRecord, compile_condition

SQL = compile_condition("fit >= 60 and engagement >= 30 and 'demo_request' in events_last_30d", STAGE_NAMES)


def facts(fit: object, engagement: object, window: list[str], **more: object) -> dict[str, object]:
    return {"fit": fit, "engagement": engagement, "events_last_30d": window, **more}


def test_the_result_follows_the_event_window_it_reads() -> None:
    memo = FactMemo()
    assert memo.matches(SQL, facts(70, 40, ["demo_request"])) is True
    assert memo.matches(SQL, facts(70, 40, ["pricing_page_view"])) is False
    assert memo.matches(SQL, facts(70, 40, ["demo_request", "pricing_page_view"])) is True
    assert len(memo.memo.results) == 3


def test_types_stay_apart() -> None:
    memo = FactMemo()
    condition = compile_condition("grade == 'A1'", STAGE_NAMES)
    assert memo.matches(condition, facts(0, 0, [], grade="A1")) is True
    assert memo.matches(condition, facts(0, 0, [], grade=None)) is False


def test_a_condition_reading_a_record_is_evaluated_every_time() -> None:
    memo = FactMemo()
    condition = compile_condition("fit >= 40 and contact.country == 'Germany'", STAGE_NAMES)
    germany = facts(50, 0, [], contact=PropertyRecord({"country": "Germany"}))
    france = facts(50, 0, [], contact=PropertyRecord({"country": "France"}))
    assert [memo.matches(condition, f) for f in (germany, france, germany)] == [True, False, True]
    assert not memo.memo.results


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 100) | st.floats(0, 100, allow_nan=False),
            st.integers(0, 100),
            st.lists(st.sampled_from(["demo_request", "pricing_page_view", "unsubscribe"]), unique=True),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_with_or_without_the_memo_the_same_stages_match(rows: list[tuple[float, int, list[str]]]) -> None:
    memo = FactMemo(size=5)
    others = compile_condition("score >= 50 or 'unsubscribe' not in events_last_30d", STAGE_NAMES)
    for fit, engagement, window in rows:
        these = facts(fit, engagement, sorted(window), score=fit + engagement)
        for condition in (SQL, others):
            assert memo.matches(condition, these) is condition.matches(these)
