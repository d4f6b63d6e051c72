"""The demo report's SLA section from given clocks: met, missed, open by status, what the watch did, each rep's
response times in business minutes, and the simulated reps' true pace."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from app.demo.report import print_table
from app.demo.sla import print_paces, print_sla
from app.ledger.records import SlaClock
from app.rules.sla import parse_sla
from hubspot_twin.simulator.reps import FAST_HOURS, SLOW_HOURS, RepProfile

SLA = parse_sla(
    'calendars: [{id: office, timezone: Europe/Berlin, hours: {mon-fri: "09:00-17:00"}}]\n'
    "targets: [{id: sql, stage: sql, hours: 4}]\n",
    ("sql", "mql"),
    frozenset({"A"}),
    "sla.yaml",
)
MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Berlin: due at 13:00 (12:00 UTC)
NAMES = {"1": "Ada Rep", "2": "Bo Rep"}


def clock(key: str, owner: str, touched_after: float | None, **values: object) -> SlaClock:
    touch = MONDAY + timedelta(minutes=touched_after) if touched_after is not None else None
    fields: dict[str, object] = {
        "key": key, "contact_id": key, "stage": "sql", "owner_id": owner, "sla_target": "sql",
        "assigned_at": MONDAY, "sla_clock_at": MONDAY, "sla_due_at": MONDAY + timedelta(hours=4),
        "first_touch_at": touch, "sla_written": None, "escalations": 0, "reassignments": 0,
    }  # fmt: skip
    return SlaClock(**{**fields, **values})  # type: ignore[arg-type]


def printed(clocks: Sequence[SlaClock], open_keys: set[str], now: datetime) -> list[str]:
    lines: list[str] = []
    print_sla(SLA, clocks, open_keys, NAMES, now, lines.append, print_table)
    return lines


def test_the_section_counts_met_missed_and_open_clocks_and_the_watchs_steps() -> None:
    clocks = [
        clock("a", "1", 30),
        clock("b", "1", 90),
        clock("c", "2", 300, escalations=1),  # touched after the due time
        clock("d", "2", None, escalations=2, reassignments=1, earlier_owners="1", reminders=1),
        clock("e", "1", None),  # answered (rejected) without a touch
    ]
    lines = printed(clocks, {"d"}, MONDAY + timedelta(hours=6))
    assert lines[1] == (
        "  5 handovers with a clock: 2 met, 1 missed, 1 still open (0 on track, 0 at risk, 1 breached), "
        "1 answered without a touch"
    )
    assert lines[2] == "  the watch: 1 reminders sent, 3 escalations (2 handovers), 1 reassignments"
    assert lines[3] == "    reassigned: Ada Rep → Bo Rep (1)"
    rows = [line.split() for line in lines[6:]]
    assert rows == [["Ada", "Rep", "3", "2", "0", "0", "30", "90"], ["Bo", "Rep", "2", "0", "1", "1", "300", "300"]]


def test_without_clocks_or_config_the_section_says_so() -> None:
    assert printed([], set(), MONDAY)[1] == "  no handover with an SLA clock"
    lines: list[str] = []
    print_sla(None, [clock("a", "1", 30)], set(), NAMES, MONDAY, lines.append, print_table)
    assert lines[1] == "  no handover with an SLA clock"


def test_the_reps_true_pace_names_the_fast_the_slow_and_the_one_on_holiday() -> None:
    away = (MONDAY, MONDAY + timedelta(days=3))
    profiles = {
        "1": RepProfile("1", "fast", FAST_HOURS, away),
        "2": RepProfile("2", "slow", SLOW_HOURS),
        "9": RepProfile("9", "fast", FAST_HOURS),  # not a field rep: not named
    }
    lines: list[str] = []
    print_paces(profiles, NAMES, lines.append)
    assert lines == [
        "  the simulated reps: fast Ada Rep; slow Bo Rep; Ada Rep on holiday 11-23 08:00 – 11-26 08:00 UTC"
    ]
