"""Contact properties recalled as they were when a property change happened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.rules.scoring.recall import (
    PropertyChange,
    PropertyVersion,
    current_values,
    occurrence_key,
    same_value,
    values_from_history,
)

FIRST = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
SECOND = FIRST + timedelta(hours=2)
NAME = "recent_conversion_event_name"
DATE = "recent_conversion_date"


def ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


HISTORY = {
    DATE: [PropertyVersion(iso(SECOND), SECOND), PropertyVersion(iso(FIRST), FIRST)],
    NAME: [PropertyVersion("Demo request", SECOND), PropertyVersion("Whitepaper: OEE", FIRST)],
}


def test_the_current_values_tell_while_the_changed_property_still_holds_the_events_value() -> None:
    change = PropertyChange(DATE, ms(SECOND), SECOND)
    current = {DATE: iso(SECOND), NAME: "Demo request"}
    assert current_values(change, current, [NAME]) == {NAME: "Demo request"}


def test_the_current_values_cannot_tell_once_the_property_changed_again() -> None:
    change = PropertyChange(DATE, ms(FIRST), FIRST)
    assert current_values(change, {DATE: iso(SECOND), NAME: "Demo request"}, [NAME]) is None


def test_the_history_gives_the_value_held_when_the_changed_property_took_the_events_value() -> None:
    assert values_from_history(PropertyChange(DATE, ms(FIRST), FIRST), HISTORY, [NAME]) == {NAME: "Whitepaper: OEE"}
    assert values_from_history(PropertyChange(DATE, ms(SECOND), SECOND), HISTORY, [NAME]) == {NAME: "Demo request"}


def test_a_history_without_the_events_value_is_read_at_the_events_time() -> None:
    trimmed = {NAME: HISTORY[NAME]}
    late = FIRST + timedelta(minutes=5)
    assert values_from_history(PropertyChange(DATE, ms(late), late), trimmed, [NAME]) == {NAME: "Whitepaper: OEE"}
    early = FIRST - timedelta(minutes=5)
    assert values_from_history(PropertyChange(DATE, ms(early), early), trimmed, [NAME]) == {NAME: None}


def test_a_datetime_read_as_iso_is_the_value_a_webhook_sent_in_epoch_milliseconds() -> None:
    assert same_value(iso(FIRST), ms(FIRST))
    assert not same_value(iso(FIRST), ms(SECOND))
    assert same_value(None, "") and not same_value("7", "8")


def test_one_occurrence_has_one_key_however_its_value_is_written() -> None:
    assert occurrence_key(PropertyChange(DATE, ms(FIRST), FIRST)) == f"{DATE}={ms(FIRST)}"
    assert occurrence_key(PropertyChange(DATE, iso(FIRST), SECOND)) == f"{DATE}={ms(FIRST)}"
    assert (
        occurrence_key(PropertyChange("hs_analytics_num_page_views", "12", FIRST)) == "hs_analytics_num_page_views=12"
    )
    long_key = occurrence_key(PropertyChange("x" * 80, "y" * 80, FIRST))
    assert len(long_key) <= 96 and long_key != occurrence_key(PropertyChange("x" * 80, "z" * 80, FIRST))
