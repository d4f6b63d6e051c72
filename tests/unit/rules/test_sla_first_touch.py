"""The first touch of a handover: which touches count, for which handover, and which one is first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules.sla.first_touch import (
    TOUCH_KINDS,
    HandoverWindow,
    Touch,
    Verdict,
    by_owner,
    engagement_touch,
    judge,
    kind_enabled,
    lead_status_counts,
    open_handover,
    reconciled_touch,
)
from app.rules.sla.policy import FirstTouch

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
OWNER, OTHER = "101", "202"
DEFAULT = FirstTouch()
EVERYTHING = FirstTouch(lead_statuses=frozenset({"CONNECTED"}), deal_stage_moved=True)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def handover(
    key: str = "h1", owner: str | None = OWNER, assigned: float = 0, ended: float | None = None
) -> HandoverWindow:
    return HandoverWindow(key, owner, at(assigned), None if ended is None else at(ended))


def touch(key: str, minutes: float, kind: str = "call", owner: str | None = OWNER) -> Touch:
    return Touch(key, kind, at(minutes), owner)


# --- which kinds count -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "kind", "enabled"),
    [
        (DEFAULT, "call", True),
        (DEFAULT, "email", True),
        (DEFAULT, "meeting", True),
        (DEFAULT, "task", True),
        (DEFAULT, "lead_status", False),  # no lead status configured
        (DEFAULT, "deal_stage", False),
        (DEFAULT, "reconciled", True),
        (DEFAULT, "note", False),
        (EVERYTHING, "lead_status", True),
        (EVERYTHING, "deal_stage", True),
        (FirstTouch(engagements=frozenset({"meeting"})), "call", False),
        (FirstTouch(engagements=frozenset({"meeting"})), "meeting", True),
        (FirstTouch(engagements=frozenset()), "email", False),
        (FirstTouch(task_completed=False), "task", False),
    ],
)
def test_a_kind_counts_as_the_policy_enables_it(policy: FirstTouch, kind: str, enabled: bool) -> None:
    assert kind_enabled(policy, kind) is enabled


def test_a_lead_status_counts_only_when_it_is_a_configured_value() -> None:
    assert lead_status_counts(EVERYTHING, "CONNECTED")
    assert not lead_status_counts(EVERYTHING, "NEW")
    assert not lead_status_counts(EVERYTHING, "")
    assert not lead_status_counts(EVERYTHING, None)
    assert not lead_status_counts(DEFAULT, "CONNECTED")


# --- which handover is open at a touch ----------------------------------------------------------------------------


def test_no_handover_is_open_before_the_first_assignment() -> None:
    assert open_handover([handover(assigned=10)], at(9)) is None


def test_a_handover_is_open_from_the_moment_of_its_assignment() -> None:
    assert open_handover([handover(assigned=10)], at(10)) == handover(assigned=10)


def test_the_newest_handover_assigned_before_the_touch_is_the_open_one() -> None:
    mql, sql = handover("mql", assigned=0), handover("sql", assigned=60)
    assert open_handover([sql, mql], at(30)) == mql
    assert open_handover([mql, sql], at(60)) == sql
    assert open_handover([mql, sql], at(600)) == sql


def test_an_ended_handover_is_open_only_until_it_ended() -> None:
    rejected = handover(assigned=0, ended=30)
    assert open_handover([rejected], at(29)) == rejected
    assert open_handover([rejected], at(30)) is None
    assert open_handover([rejected], at(31)) is None


def test_a_superseded_handover_gets_no_touch_when_its_successor_has_ended() -> None:
    mql, sql = handover("mql", assigned=0), handover("sql", assigned=10, ended=20)
    assert open_handover([mql, sql], at(25)) is None


def test_instants_in_other_time_zones_compare_as_instants() -> None:
    berlin = HandoverWindow("h1", OWNER, datetime(2026, 11, 25, 11, 0, tzinfo=UTC).astimezone())
    assert open_handover([berlin], datetime(2026, 11, 25, 11, 0, tzinfo=UTC)) == berlin


# --- whose touch ---------------------------------------------------------------------------------------------------


def test_the_owners_touch_and_a_touch_of_unknown_author_are_the_owners() -> None:
    assert by_owner(DEFAULT, touch("a", 1), handover(), {})
    assert by_owner(DEFAULT, touch("a", 1, owner=None), handover(), {})


def test_someone_elses_touch_counts_only_with_touch_by_others() -> None:
    assert not by_owner(DEFAULT, touch("a", 1, owner=OTHER), handover(), {})
    assert by_owner(FirstTouch(touch_by_others=True), touch("a", 1, owner=OTHER), handover(), {})


def test_a_touch_by_a_user_is_judged_by_the_owner_that_user_is() -> None:
    users = {"u-owner": OWNER, "u-other": OTHER}
    by_the_owner = Touch("a", "lead_status", at(1), user_id="u-owner")
    by_someone_else = Touch("b", "lead_status", at(1), user_id="u-other")
    by_a_stranger = Touch("c", "lead_status", at(1), user_id="u-unknown")
    assert by_owner(DEFAULT, by_the_owner, handover(), users)
    assert not by_owner(DEFAULT, by_someone_else, handover(), users)
    assert by_owner(FirstTouch(touch_by_others=True), by_someone_else, handover(), users)
    assert by_owner(DEFAULT, by_a_stranger, handover(), users)  # a user the team does not list: the owner's
    # Before the team's users are known, someone else's touch is taken to be the owner's, like any of unknown author.
    assert by_owner(DEFAULT, by_someone_else, handover(), {})


def test_a_touch_s_own_owner_wins_over_its_user() -> None:
    assert by_owner(DEFAULT, Touch("a", "call", at(1), OWNER, user_id="u-other"), handover(), {"u-other": OTHER})


def test_the_first_touch_names_the_owner_behind_the_user_and_skips_someone_elses() -> None:
    users = {"u-owner": OWNER, "u-other": OTHER}
    touches = [
        Touch("task:1", "task", at(5), user_id="u-other"),
        Touch("task:2", "task", at(9), user_id="u-owner"),
    ]
    judgement = judge(DEFAULT, [handover()], touches, users)
    assert judgement.verdicts["task:1"].counted is False
    first = judgement.first["h1"]
    assert first is not None
    assert (first.source_key, first.owner_id) == ("task:2", OWNER)


def test_a_handover_without_an_owner_counts_only_touches_of_unknown_author_or_by_others() -> None:
    assert not by_owner(DEFAULT, touch("a", 1), handover(owner=None), {})
    assert by_owner(DEFAULT, touch("a", 1, owner=None), handover(owner=None), {})


# --- the judgement ------------------------------------------------------------------------------------------------


def test_the_earliest_counting_touch_is_the_first_touch() -> None:
    touches = [touch("call:2", 30), touch("email:1", 20, "email"), touch("meeting:3", 40, "meeting")]
    judgement = judge(DEFAULT, [handover()], touches)
    assert judgement.first == {"h1": touches[1]}
    assert set(judgement.verdicts.values()) == {Verdict("h1", True)}


def test_a_late_delivered_earlier_touch_replaces_a_later_first_touch() -> None:
    later = touch("call:2", 30)
    assert judge(DEFAULT, [handover()], [later]).first == {"h1": later}
    earlier = touch("call:1", 10)
    assert judge(DEFAULT, [handover()], [later, earlier]).first == {"h1": earlier}


def test_another_owners_touch_is_recorded_against_the_handover_but_does_not_count() -> None:
    theirs, mine = touch("call:1", 5, owner=OTHER), touch("call:2", 50)
    judgement = judge(DEFAULT, [handover()], [theirs, mine])
    assert judgement.verdicts == {"call:1": Verdict("h1", False), "call:2": Verdict("h1", True)}
    assert judgement.first == {"h1": mine}
    assert judge(FirstTouch(touch_by_others=True), [handover()], [theirs, mine]).first == {"h1": theirs}


def test_a_touch_before_the_assignment_counts_for_no_handover() -> None:
    judgement = judge(DEFAULT, [handover(assigned=10)], [touch("call:1", 5)])
    assert judgement.verdicts == {"call:1": Verdict(None, False)}
    assert judgement.first == {"h1": None}


def test_a_touch_of_a_kind_not_enabled_is_not_counted() -> None:
    judgement = judge(DEFAULT, [handover()], [touch("deal_stage:9:1", 5, "deal_stage")])
    assert judgement.verdicts == {"deal_stage:9:1": Verdict("h1", False)}
    assert judgement.first == {"h1": None}


def test_each_handover_gets_the_first_touch_of_its_own_time() -> None:
    mql, sql = handover("mql", assigned=0), handover("sql", assigned=60)
    touches = [touch("call:1", 70), touch("call:2", 30), touch("email:3", 80, "email")]
    judgement = judge(DEFAULT, [mql, sql], touches)
    assert judgement.first == {"mql": touches[1], "sql": touches[0]}


def test_simultaneous_touches_are_ordered_by_source_key() -> None:
    a, b = touch("call:1", 10), touch("email:1", 10, "email")
    assert judge(DEFAULT, [handover()], [b, a]).first == {"h1": a}
    assert judge(DEFAULT, [handover()], [a, b]).first == {"h1": a}


def test_no_touches_leave_every_handover_untouched() -> None:
    judgement = judge(DEFAULT, [handover("a"), handover("b", assigned=5)], [])
    assert judgement.first == {"a": None, "b": None}
    assert judgement.verdicts == {}


kinds = st.sampled_from(TOUCH_KINDS)
owners = st.sampled_from([OWNER, OTHER, None])
touch_lists = st.lists(
    st.builds(touch, st.uuids().map(str), st.integers(-60, 600), kinds, owners),
    max_size=8,
    unique_by=lambda t: t.source_key,
)
handover_lists = st.lists(
    st.builds(handover, st.uuids().map(str), owners, st.integers(0, 300), st.one_of(st.none(), st.integers(0, 700))),
    max_size=3,
    unique_by=lambda h: (h.key, h.assigned_at),
)
policies = st.builds(
    FirstTouch,
    st.frozensets(st.sampled_from(["call", "email", "meeting"])),
    st.booleans(),
    st.frozensets(st.sampled_from(["CONNECTED"])),
    st.booleans(),
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(policies, handover_lists, touch_lists, st.randoms())
def test_the_judgement_does_not_depend_on_the_order_touches_arrive_in(
    policy: FirstTouch, handovers: list[HandoverWindow], touches: list[Touch], random: object
) -> None:
    shuffled = list(touches)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert judge(policy, handovers, touches) == judge(policy, handovers, shuffled)


@settings(max_examples=300, deadline=None)
@given(policies, handover_lists, touch_lists)
def test_a_first_touch_is_the_earliest_counted_touch_of_its_handover(
    policy: FirstTouch, handovers: list[HandoverWindow], touches: list[Touch]
) -> None:
    judgement = judge(policy, handovers, touches)
    for key, first in judgement.first.items():
        counted = [t for t in touches if judgement.verdicts[t.source_key] == Verdict(key, True)]
        assert first == min(counted, key=lambda t: (t.at, t.source_key), default=None)
        if first is not None:
            window = next(h for h in handovers if h.key == key)
            assert first.at >= window.assigned_at


# --- engagements and HubSpot's first engagement ----------------------------------------------------------------


def test_a_call_is_a_touch_at_its_activity_date_by_its_owner() -> None:
    properties = {"hs_timestamp": "2026-11-25T10:05:00Z", "hubspot_owner_id": OWNER}
    assert engagement_touch("call", "7", properties, at(30)) == Touch("call:7", "call", at(5), OWNER)


def test_a_meeting_booked_for_later_touched_the_lead_when_it_was_booked() -> None:
    properties = {"hs_timestamp": "2026-12-01T09:00:00Z", "hubspot_owner_id": OWNER}
    assert engagement_touch("meeting", "8", properties, at(3)) == Touch("meeting:8", "meeting", at(3), OWNER)


def test_an_engagement_without_a_timestamp_or_owner_is_a_touch_at_its_creation_by_someone_unknown() -> None:
    assert engagement_touch("call", "9", {"hubspot_owner_id": ""}, at(4)) == Touch("call:9", "call", at(4), None)
    assert engagement_touch("call", "9", {"hs_timestamp": "soon"}, at(4)) == Touch("call:9", "call", at(4), None)


def test_epoch_millisecond_timestamps_are_read_too() -> None:
    millis = str(int(at(2).timestamp() * 1000))
    assert engagement_touch("call", "1", {"hs_timestamp": millis}, at(9)) == Touch("call:1", "call", at(2))


@pytest.mark.parametrize(("direction", "is_touch"), [("EMAIL", True), ("INCOMING_EMAIL", False),
                                                     ("FORWARDED_EMAIL", False), (None, False)])  # fmt: skip
def test_only_a_sales_email_is_a_touch(direction: str | None, is_touch: bool) -> None:
    properties = {"hs_email_direction": direction, "hubspot_owner_id": OWNER, "hs_timestamp": "2026-11-25T10:01:00Z"}
    found = engagement_touch("email", "5", properties, at(2))
    assert (found == Touch("email:5", "email", at(1), OWNER)) if is_touch else found is None


def test_notes_and_tasks_are_no_engagement_touches() -> None:
    assert engagement_touch("note", "1", {}, at(0)) is None
    assert engagement_touch("task", "1", {}, at(0)) is None


FIRST_ENGAGEMENT = {
    "hs_sa_first_engagement_date": "2026-11-25T10:20:00Z",
    "hs_sa_first_engagement_object_type": "CALL",
    "hs_sa_first_engagement_descr": "LOGGED_CALL",
    "hubspot_owner_id": OWNER,
}


def test_hubspots_first_engagement_is_a_reconciled_touch_by_the_current_owner() -> None:
    millis = int(at(20).timestamp() * 1000)
    expected = Touch(f"reconciled:42:{millis}", "reconciled", at(20), OWNER)
    assert reconciled_touch(DEFAULT, "42", FIRST_ENGAGEMENT) == expected


@pytest.mark.parametrize(
    "change",
    [
        {"hs_sa_first_engagement_date": None},
        {"hs_sa_first_engagement_date": "not a date"},
        {"hs_sa_first_engagement_object_type": "CONVERSATION_SESSION"},
        {"hs_sa_first_engagement_object_type": None},
    ],
)
def test_no_reconciled_touch_without_a_date_or_of_an_unknown_kind(change: dict[str, str | None]) -> None:
    assert reconciled_touch(DEFAULT, "42", {**FIRST_ENGAGEMENT, **change}) is None


def test_no_reconciled_touch_of_a_kind_the_policy_does_not_count() -> None:
    assert reconciled_touch(FirstTouch(engagements=frozenset({"email"})), "42", FIRST_ENGAGEMENT) is None
    task = {**FIRST_ENGAGEMENT, "hs_sa_first_engagement_object_type": "TASK"}
    assert reconciled_touch(DEFAULT, "42", task) is not None
    assert reconciled_touch(FirstTouch(task_completed=False), "42", task) is None
