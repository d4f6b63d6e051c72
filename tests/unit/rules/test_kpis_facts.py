"""Lead-cycle facts in JSON Lines (docs/kpis.md, "Lead cycles: the facts"): instants in UTC, nulls, clear errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from app.rules.errors import FactsError
from app.rules.kpis import LeadCycle, facts_to_json_lines, format_instant, parse_facts, parse_instant


def test_a_time_with_an_offset_is_converted_to_utc() -> None:
    assert parse_instant("2026-11-03T09:15:00+02:00") == datetime(2026, 11, 3, 7, 15, tzinfo=UTC)
    assert parse_instant("2026-11-03T09:15:00-05:30") == datetime(2026, 11, 3, 14, 45, tzinfo=UTC)


def test_a_z_is_utc_and_a_time_without_an_offset_is_utc() -> None:
    assert parse_instant("2026-11-03T09:15:00Z") == datetime(2026, 11, 3, 9, 15, tzinfo=UTC)
    assert parse_instant("2026-11-03T09:15:00") == datetime(2026, 11, 3, 9, 15, tzinfo=UTC)


def test_a_bare_date_is_midnight_utc() -> None:
    assert parse_instant("2026-11-03") == datetime(2026, 11, 3, tzinfo=UTC)


def test_microseconds_are_kept() -> None:
    assert parse_instant("2026-11-03T09:15:00.250001Z").microsecond == 250_001


def test_absent_keys_are_null_and_present_ones_are_read() -> None:
    (fact,) = parse_facts('{"contact": "17", "cycle": 2, "mql_at": "2026-11-03T09:15:00Z", "score_at_mql": 42.5}')
    assert fact == LeadCycle(contact="17", cycle=2, mql_at=datetime(2026, 11, 3, 9, 15, tzinfo=UTC), score_at_mql=42.5)
    assert fact.sql_at is None and fact.rejection_reason is None


def test_explicit_nulls_equal_absent_keys() -> None:
    assert parse_facts('{"contact": "1", "sql_at": null, "owner": null}') == parse_facts('{"contact": "1"}')


def test_fields_in_any_order_give_the_same_fact() -> None:
    ordered = '{"contact": "1", "mql_at": "2026-11-03", "sql_at": "2026-11-04", "grade_at_mql": "A1"}'
    shuffled = '{"grade_at_mql": "A1", "sql_at": "2026-11-04", "contact": "1", "mql_at": "2026-11-03"}'
    assert parse_facts(ordered) == parse_facts(shuffled)


def test_blank_lines_are_skipped_and_every_other_line_counts_once() -> None:
    line = '{"contact": "1"}'
    assert parse_facts(f"\n{line}\n   \n{line}\r\n\n") == [LeadCycle(contact="1"), LeadCycle(contact="1")]


def test_keys_outside_the_contract_are_ignored() -> None:
    assert parse_facts('{"contact": "1", "nurture_path": "webinar"}') == [LeadCycle(contact="1")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"contact": "1"}\n\n{"mql_at": "yesterday"}', "line 3: key 'mql_at': 'yesterday' is not an ISO 8601 date"),
        ('{"contact": "1"', "line 1: not valid JSON"),
        ('["contact"]', "line 1: not a JSON object but an array"),
        ('{"cycle": "2"}', "line 1: key 'cycle': expected an integer or null, got a string \"2\""),
        ('{"cycle": true}', "line 1: key 'cycle': expected an integer or null, got a boolean true"),
        ('{"contact": 17}', "line 1: key 'contact': expected a string or null, got a number 17"),
        ('{"score_at_mql": "high"}', "line 1: key 'score_at_mql': expected a number or null"),
        ('{"won_at": 1764547200}', "line 1: key 'won_at': expected an ISO 8601 time (a string) or null"),
    ],
)
def test_a_bad_line_raises_an_error_naming_line_key_and_problem(text: str, message: str) -> None:
    with pytest.raises(FactsError) as raised:
        parse_facts(text)
    assert str(raised.value).startswith(message)


def test_facts_written_as_json_lines_read_back_the_same() -> None:
    facts = [
        LeadCycle(contact="1", cycle=1, created_at=parse_instant("2026-11-01T08:00:00.5+01:00"), grade_at_mql="A1"),
        LeadCycle(contact="2", cycle=3, won_at=parse_instant("2026-11-30"), score_at_mql=80, rejection_reason="BAD"),
    ]
    text = facts_to_json_lines(facts)
    assert parse_facts(text) == facts
    first = json.loads(text.splitlines()[0])
    assert first["created_at"] == "2026-11-01T07:00:00.500000Z" and first["sql_at"] is None
    assert list(first)[:4] == ["contact", "cycle", "created_at", "qualified_signal_at"]


def test_output_times_are_utc_with_a_z_to_the_second() -> None:
    assert format_instant(parse_instant("2026-11-03T09:15:07.9+01:00")) == "2026-11-03T08:15:07Z"


def test_output_times_keep_four_digit_years() -> None:
    assert format_instant(datetime(1, 1, 2, tzinfo=UTC)) == "0001-01-02T00:00:00Z"


def test_a_time_an_offset_moves_out_of_range_is_a_bad_line_not_a_crash() -> None:
    with pytest.raises(
        FactsError, match="line 1: key 'mql_at': '0001-01-01T00:00:00\\+01:00' lies outside the years 1 to 9999"
    ):
        parse_facts('{"mql_at": "0001-01-01T00:00:00+01:00"}')
