"""The values a backtest replays with: HubSpot's property histories turned into versions over time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.rules.calibration.histories import versions_of
from app.rules.scoring.recall import PropertyVersion

T0 = datetime(2026, 10, 1, tzinfo=UTC)


def at(days: int) -> datetime:
    return T0 + timedelta(days=days)


def test_each_moment_a_property_took_a_value_starts_a_version() -> None:
    history = {
        "country": [PropertyVersion("France", at(5)), PropertyVersion("Germany", at(0))],  # newest first, as sent
        "hs_buying_role": [PropertyVersion("DECISION_MAKER", at(3))],
    }
    versions = versions_of(["country", "hs_buying_role"], {"country": "France"}, history)
    assert not versions.todays
    assert versions.at(at(-1)) == {}
    assert versions.at(at(0)) == {"country": "Germany"}
    assert versions.at(at(4)) == {"country": "Germany", "hs_buying_role": "DECISION_MAKER"}
    assert versions.at(at(9)) == {"country": "France", "hs_buying_role": "DECISION_MAKER"}


def test_a_cleared_value_is_absent_from_then_on() -> None:
    history = {"phone": [PropertyVersion("1", at(1)), PropertyVersion("", at(2))]}
    versions = versions_of(["phone"], {}, history)
    assert versions.at(at(1)) == {"phone": "1"} and versions.at(at(2)) == {}


def test_without_history_todays_values_hold_since_the_creation_and_are_flagged() -> None:
    versions = versions_of(["country", "email"], {"country": "Germany", "email": None}, {}, since=at(2))
    assert versions.todays
    assert versions.at(at(1)) == {} and versions.at(at(2)) == {"country": "Germany"}


def test_a_property_without_history_next_to_others_with_one_is_todays_and_flagged() -> None:
    history = {"country": [PropertyVersion("Germany", at(4))]}
    versions = versions_of(["country", "phone"], {"country": "Germany", "phone": "1"}, history, since=at(1))
    assert versions.todays
    assert versions.at(at(2)) == {"phone": "1"}
    assert versions.at(at(4)) == {"country": "Germany", "phone": "1"}


def test_versions_are_ordered_by_their_start_whatever_the_order_given() -> None:
    from app.rules.calibration.replay import Version, Versions

    versions = Versions((Version(at(3), {"a": "3"}), Version(None, {"a": "0"}), Version(None, {"a": "x"})))
    assert versions.at(at(1))["a"] in {"0", "x"} and versions.at(at(4)) == {"a": "3"}
    assert versions.next_after(at(0)) == at(3) and versions.next_after(at(3)) is None
