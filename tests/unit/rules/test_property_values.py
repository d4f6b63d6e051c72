"""HubSpot's string values are converted by declared or known type before rules compare them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from app.rules import ScoringModel, assess
from app.rules.values import convert_properties, convert_value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("250", 250), ("2.5", 2.5), ("1e3", 1000), ("-0.0", 0), (" 7 ", 7), (250, 250), (2.0, 2), (2.5, 2.5)],
)
def test_numbers_become_float_and_integral_ones_int(raw: object, expected: float) -> None:
    converted = convert_value(raw, "number")
    assert converted == expected
    assert type(converted) is type(expected)


@pytest.mark.parametrize("raw", ["", "many", "1,000", True, [1]])
def test_unparsable_or_empty_numbers_are_missing(raw: object) -> None:
    assert convert_value(raw, "number") is None


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("FALSE", False), ("True", True), (False, False)])
def test_booleans_are_true_or_false_in_any_case(raw: object, expected: bool) -> None:
    assert convert_value(raw, "bool") is expected


@pytest.mark.parametrize("raw", ["yes", "1", "", " true", 1])
def test_other_boolean_values_are_missing(raw: object) -> None:
    assert convert_value(raw, "bool") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-20T10:00:00Z", datetime(2026, 11, 20, 10, tzinfo=UTC)),
        ("2026-11-20T11:00:00+01:00", datetime(2026, 11, 20, 10, tzinfo=UTC)),
        ("2026-11-20T10:00:00.250Z", datetime(2026, 11, 20, 10, 0, 0, 250_000, tzinfo=UTC)),
        ("2026-11-20T10:00:00", datetime(2026, 11, 20, 10, tzinfo=UTC)),
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=UTC)),
        ("1795168800000", datetime(2026, 11, 20, 10, tzinfo=UTC)),
        ("-86400000", datetime(1969, 12, 31, tzinfo=UTC)),
        (1795168800000, datetime(2026, 11, 20, 10, tzinfo=UTC)),
        (date(2026, 11, 20), datetime(2026, 11, 20, tzinfo=UTC)),
    ],
)
def test_timestamps_are_iso_8601_or_epoch_milliseconds_in_utc(raw: object, expected: datetime) -> None:
    converted = convert_value(raw, "datetime")
    assert converted == expected
    assert isinstance(converted, datetime)
    assert converted.utcoffset() is not None
    assert convert_value(raw, "date") == expected


@pytest.mark.parametrize("raw", ["", "yesterday", "2026-13-01", "99999999999999999999", True, 1.5])
def test_unparsable_timestamps_are_missing(raw: object) -> None:
    assert convert_value(raw, "datetime") is None


@pytest.mark.parametrize("property_type", ["string", "enumeration", "phone_number", "json"])
def test_text_values_stay_unchanged_and_the_empty_string_is_missing(property_type: str) -> None:
    assert convert_value(" Germany ", property_type) == " Germany "
    assert convert_value("", property_type) is None


def test_none_is_missing_for_every_type() -> None:
    assert {convert_value(None, kind) for kind in ("number", "bool", "datetime", "string")} == {None}


def test_properties_without_a_known_type_are_strings_and_missing_ones_are_left_out() -> None:
    types = {"company.numberofemployees": "number", "contact.numberofemployees": "bool"}
    converted = convert_properties(
        {"numberofemployees": "250", "industry": "MACHINERY", "city": "", "zip": None}, "company", types
    )
    assert converted == {"numberofemployees": 250, "industry": "MACHINERY"}


def test_multiple_checkboxes_become_a_set_of_trimmed_parts_and_no_parts_is_missing() -> None:
    assert convert_value("DECISION_MAKER;CHAMPION", "set") == {"DECISION_MAKER", "CHAMPION"}
    assert convert_value(" A ;; B ;", "set") == {"A", "B"}
    assert convert_value("A", "set") == {"A"}
    assert convert_value("", "set") is None
    assert convert_value(" ; ", "set") is None
    assert convert_value(None, "set") is None


def test_set_operations_test_one_value_or_a_shared_one(model_from: Callable[[str], ScoringModel]) -> None:
    model = model_from(
        """
        model: m
        properties: {contact.roles: set}
        fit:
          limit: 100
          rules:
            - {id: champion, when: "'CHAMPION' in contact.roles", points: 5}
            - {id: deciders, when: "contact.roles & {'DECISION_MAKER', 'BUDGET_HOLDER'}", points: 30}
        engagement: {limit: 100, events: {}}
        """
    )
    now = datetime(2026, 12, 3, tzinfo=UTC)
    assert assess(model, {"roles": "CHAMPION;BUDGET_HOLDER"}, {}, [], now).fit == 35
    assert assess(model, {"roles": "CHAMPION"}, {}, [], now).fit == 5
    assert assess(model, {}, {}, [], now).fit == 0  # missing: no rule matches, nothing fails
