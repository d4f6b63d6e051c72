"""The fit-rule memo: a condition that reads only contact and company properties is remembered by their values,
with exactly the results of evaluating it; anything else is always evaluated."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules.expressions import FIT_NAMES, STAGE_NAMES, PropertyRecord, RecordMemo, compile_condition, record_reads


def records(contact: dict[str, object], company: dict[str, object] | None = None) -> dict[str, PropertyRecord]:
    return {"contact": PropertyRecord(contact), "company": PropertyRecord(company or {})}


def test_the_properties_a_record_condition_reads_are_known() -> None:
    condition = compile_condition("company.industry in ['MACHINERY'] and contact['country'] == 'Germany'", FIT_NAMES)
    assert record_reads(condition) == (("company", "industry"), ("contact", "country"))


def test_a_condition_reading_more_than_record_properties_is_never_remembered() -> None:
    assert record_reads(compile_condition("fit >= 40 and engagement >= 15", STAGE_NAMES)) is None
    assert record_reads(compile_condition("contact.createdate > $now", FIT_NAMES)) is None
    assert record_reads(compile_condition("contact", FIT_NAMES)) is None  # the whole record, not a property


def test_remembered_results_are_the_evaluated_ones_and_types_stay_apart() -> None:
    memo = RecordMemo()
    condition = compile_condition("contact.flag == true", FIT_NAMES)
    for value, expected in ((True, True), (1, False), (True, True), (1, False), (None, False), ("true", False)):
        assert memo.matches(condition, records({"flag": value})) is expected, value


def test_a_condition_whose_values_never_repeat_stops_being_remembered() -> None:
    memo = RecordMemo()
    condition = compile_condition("contact.email =~ '.*@gmail\\\\.com$'", FIT_NAMES)
    for n in range(RecordMemo.TRIAL + 10):
        email = f"user{n}@gmail.com" if n % 2 else f"user{n}@kessler.de"
        assert memo.matches(condition, records({"email": email})) is bool(n % 2)
    assert len(memo.memo.results) == RecordMemo.TRIAL, "nothing kept after the trial"


def test_the_memo_is_bounded() -> None:
    memo = RecordMemo(size=50)
    condition = compile_condition("company.numberofemployees >= 50", FIT_NAMES)
    for n in range(120):
        assert memo.matches(condition, records({}, {"numberofemployees": float(n % 80)})) is (n % 80 >= 50)
    assert len(memo.memo.results) <= 50


values = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(-5, 5, allow_nan=False),
                   st.sampled_from(["MACHINERY", "RETAIL", "", "Germany"]))  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(values, values), min_size=1, max_size=30))
def test_with_or_without_the_memo_the_same_contacts_match(rows: list[tuple[object, object]]) -> None:
    memo = RecordMemo(size=7)
    conditions = [
        compile_condition("company.industry in ['MACHINERY', 'RETAIL'] or contact.score > 2", FIT_NAMES),
        compile_condition("contact.score >= 1 and contact.score <= 3", FIT_NAMES),
        compile_condition("company.industry == 'Germany'", FIT_NAMES),
    ]
    for industry, score in rows:
        facts = records({"score": score}, {"industry": industry})
        for condition in conditions:
            assert memo.matches(condition, facts) == condition.matches(facts)


def test_a_set_of_roles_is_remembered_by_its_members_whatever_their_order() -> None:
    memo = RecordMemo()
    condition = compile_condition("contact.roles & {'DECISION_MAKER', 'BUDGET_HOLDER'}", FIT_NAMES)
    cases = (({"CHAMPION", "DECISION_MAKER"}, True), ({"CHAMPION"}, False), ({"DECISION_MAKER", "CHAMPION"}, True))
    for roles, expected in cases:
        assert memo.matches(condition, records({"roles": roles})) is expected
    assert len(memo.memo.results) == 2  # the third set is the first one again
