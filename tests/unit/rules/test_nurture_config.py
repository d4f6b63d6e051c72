"""config/nurture.yaml: the shipped file loads with the configuration, and every invalid file names file, item,
problem."""

from __future__ import annotations

import shutil
from datetime import time, timedelta
from pathlib import Path

import pytest

from app.rules import ConfigError, ScoringModel
from app.rules.configuration import load_configuration
from app.rules.nurture import Delivery, parse_nurture
from app.rules.nurture.schema import DEFAULT_SUPPRESS_WHEN

FILE = "config/nurture.yaml"

VALID = """\
tracks:
  - id: awareness
    priority: 10
    enter: stage == null and 'whitepaper_download' in events_last_30d
    steps:
      - {id: checklist, after: [], completed_by: [checklist_download]}
      - {id: webinar-invite, after: [checklist_download], when: fit >= 20}
  - id: recycled
    priority: 0
    steps:
      - {id: whats-new}
"""


def problem(model: ScoringModel, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_nurture(text, model, FILE)
    return str(caught.value)


def test_the_shipped_file_loads_with_the_configuration(config_dir: Path) -> None:
    nurture = load_configuration(config_dir).nurture
    assert nurture is not None
    assert [track.id for track in nurture.tracks] == ["decision", "consideration", "awareness", "recycled"]
    assert nurture.recycled_track == "recycled"
    assert (nurture.pacing.max_touches, nurture.pacing.window, nurture.pacing.min_gap) == (
        3,
        timedelta(days=30),
        timedelta(days=5),
    )
    quiet = nurture.pacing.quiet_hours
    assert quiet is not None and (quiet.start, quiet.end, quiet.zone.key) == (time(20), time(8), "Europe/Berlin")
    awareness = nurture.track("awareness")
    assert awareness is not None and [step.id for step in awareness.steps][:2] == ["checklist", "webinar-invite"]
    assert awareness.steps[1].after == {"checklist_download"}
    assert nurture.suppress_when.text == DEFAULT_SUPPRESS_WHEN


def test_the_minimal_file_takes_the_documented_defaults(default_model: ScoringModel) -> None:
    nurture = parse_nurture(VALID, default_model, FILE)
    assert nurture.pacing.max_touches == 3 and nurture.pacing.window == timedelta(days=30)
    assert nurture.pacing.min_gap == timedelta(days=5) and nurture.pacing.quiet_hours is None
    assert nurture.recycled_track is None
    assert nurture.suppress_when.text == DEFAULT_SUPPRESS_WHEN
    assert nurture.step_ids == ("checklist", "webinar-invite", "whats-new")
    assert nurture.property_types == default_model.property_types


def test_delivery_is_off_unless_configured(default_model: ScoringModel) -> None:
    assert parse_nurture(VALID, default_model, FILE).delivery == Delivery()
    text = VALID + "delivery:\n  lists: {checklist: 11, whats-new: '12'}\n  sequence: {id: 80000001}\n"
    delivery = parse_nurture(text, default_model, FILE).delivery
    assert dict(delivery.lists) == {"checklist": "11", "whats-new": "12"}
    assert delivery.sequence_id == "80000001"


def test_tracks_are_kept_highest_priority_first(default_model: ScoringModel) -> None:
    text = VALID.replace("priority: 0", "priority: 99")
    assert [track.id for track in parse_nurture(text, default_model, FILE).tracks] == ["recycled", "awareness"]


def test_a_configuration_without_nurture_file_does_not_nurture(config_dir: Path, tmp_path: Path) -> None:
    for name in ("scoring.yaml", "signals.yaml"):
        shutil.copy(config_dir / name, tmp_path / name)
    assert load_configuration(tmp_path).nurture is None


def test_nurture_needs_no_handover_file(config_dir: Path, tmp_path: Path) -> None:
    for name in ("scoring.yaml", "signals.yaml", "nurture.yaml"):
        shutil.copy(config_dir / name, tmp_path / name)
    configuration = load_configuration(tmp_path)
    assert configuration.handover is None and configuration.nurture is not None


def test_an_invalid_shipped_nurture_file_names_its_path(config_dir: Path, tmp_path: Path) -> None:
    for name in ("scoring.yaml", "signals.yaml"):
        shutil.copy(config_dir / name, tmp_path / name)
    (tmp_path / "nurture.yaml").write_text(VALID.replace("[checklist_download]}", "[fax]}"), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_configuration(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path / 'nurture.yaml'}: step 'checklist': 'completed_by': 'fax'")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("after: [checklist_download]", "after: [brochure_download]"),
         "step 'webinar-invite': 'after': 'brochure_download' is not an event type of the scoring model (its types: "
         "whitepaper_download, checklist_download"),
        (("completed_by: [checklist_download]", "completed_by: [fax]"),
         "step 'checklist': 'completed_by': 'fax' is not an event type of the scoring model"),
        (("{id: whats-new}", "{id: checklist}"), "step 'checklist': duplicate step id"),
        (("id: recycled", "id: awareness"), "track 'awareness': duplicate track id"),
        (("priority: 0", "priority: 10"), "track 'recycled': track 'awareness' has priority 10 too: which one wins?"),
        (("when: fit >= 20", "when: fit >>= 20"), "step 'webinar-invite': 'when': syntax error"),
        (("when: fit >= 20", "when: fitt >= 20"),
         "step 'webinar-invite': 'when': unknown name 'fitt' (did you mean 'fit'?)"),
        (("stage == null and", "stage == 'customer' and"),
         "track 'awareness': 'enter': 'customer' is not a stage of the scoring model (its stages: sql, mql)"),
        (("    steps:\n      - {id: whats-new}\n", "    steps: []\n"),
         "track 'recycled': 'steps' List should have at least 1 item"),
        (("priority: 0", "priority: high"), "track 'recycled': 'priority' should be a valid integer, got 'high'"),
        (("{id: whats-new}", "{id: whats new}"), "track 'recycled': 'steps[0].id' must be a slug"),
        (("{id: whats-new}", "{id: whats-new, colour: blue}"), "track 'recycled': unknown key 'steps[0].colour'"),
    ],
)  # fmt: skip
def test_an_invalid_track_names_the_file_the_item_and_the_problem(
    default_model: ScoringModel, change: tuple[str, str], expected: str
) -> None:
    message = problem(default_model, VALID.replace(*change))
    assert message.startswith(f"{FILE}: ")
    assert expected in message


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("recycled_track: recycle\n", "recycled_track: no track 'recycle' (tracks: awareness, recycled)"),
        ("pacing: {max_touches: 0}\n", "pacing: 'max_touches' should be greater than or equal to 1, got 0"),
        ("pacing: {window_days: 0}\n", "pacing: 'window_days' should be greater than or equal to 1"),
        ("pacing: {min_gap_days: -1}\n", "pacing: 'min_gap_days' should be greater than or equal to 0"),
        ("pacing: {max_touches: '3'}\n", "pacing: 'max_touches' should be a valid integer, got '3'"),
        ("pacing: {quiet_hours: {start: '20:00', end: '08:00', time_zone: Europe/Munich}}\n",
         "pacing.quiet_hours: unknown time zone 'Europe/Munich' (e.g. Europe/Berlin)"),
        ("pacing: {quiet_hours: {start: '20:00', end: '20:00', time_zone: UTC}}\n",
         "pacing.quiet_hours: 'start' and 'end' are the same time"),
        ("pacing: {quiet_hours: {start: '8pm', end: '08:00', time_zone: UTC}}\n", "pacing.quiet_hours: 'start'"),
        ("pacing: {quiet_hours: {start: '20:00', end: '08:00'}}\n",
         "pacing.quiet_hours: missing required key 'time_zone'"),
        ("pacing: {suppress_when: 'contact.hs_email_optout =='}\n", "pacing: 'suppress_when': syntax error"),
        ("pacing: {suppress_when: \"stage == 'won'\"}\n", "pacing: 'suppress_when': 'won' is not a stage"),
        ("properties: {contact.competitor: checkbox}\n", "properties.contact.competitor: unknown property type"),
        ("colour: blue\n", "unknown top-level key 'colour'"),
        ("delivery: {lists: {check-list: 11}}\n",
         "delivery.lists: no step 'check-list' (steps: checklist, webinar-invite, whats-new)"),
        ("delivery: {lists: {checklist: abc}}\n",
         "delivery.lists: 'checklist' must be a HubSpot id (digits), got 'abc'"),
        ("delivery: {sequence: {}}\n", "delivery.sequence: missing required key 'id'"),
        ("delivery: {sequence: {id: 12, sender: me}}\n", "delivery.sequence: unknown key 'sender'"),
    ],
)  # fmt: skip
def test_an_invalid_section_names_the_file_the_section_and_the_problem(
    default_model: ScoringModel, extra: str, expected: str
) -> None:
    message = problem(default_model, VALID + extra)
    assert message.startswith(f"{FILE}: ")
    assert expected in message


def test_an_empty_file_and_a_file_without_tracks_are_errors(default_model: ScoringModel) -> None:
    assert problem(default_model, "") == f"{FILE}: the file is empty"
    assert "missing required top-level key 'tracks'" in problem(default_model, "pacing: {max_touches: 2}\n")
    assert "'tracks' List should have at least 1 item" in problem(default_model, "tracks: []\n")
