"""The pure core of `leadflow assess`: JSON Lines in, one JSON line out per input line."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from app.rules import ScoringModel, assess_line, assessment_to_json, parse_scoring_model, run_assess
from app.rules.scoring.assessment import Assessment, Blocked, Reason

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
EXAMPLE = (
    '{"id": "c-1", "contact": {"email": "a@b.de", "country": "Germany"}, '
    '"company": {"industry": "MACHINERY", "numberofemployees": "250"}, '
    '"events": [{"type": "demo_request", "occurred_at": "2026-11-20T10:00:00Z"}]}'
)


def test_the_contract_example_line_gives_the_output_shape(default_model: ScoringModel) -> None:
    output, ok = assess_line(default_model, EXAMPLE, NOW)
    assert ok
    assert list(output) == [
        "id",
        "fit",
        "engagement",
        "score",
        "grade",
        "stage",
        "blocked",
        "model",
        "reasons",
    ]
    assert output == {
        "id": "c-1",
        "fit": 60,
        "engagement": 10,
        "score": 70,
        "grade": "B3",
        "stage": None,
        "blocked": [],
        "model": "default-2026-12",
        "reasons": [
            {"id": "target-industry", "label": "Target industry", "points": 25},
            {"id": "company-size", "label": "50 to 1000 employees", "points": 20},
            {"id": "dach", "label": "DACH market", "points": 15},
            {"id": "demo_request", "label": "Demo request", "points": 10, "count": 1},
        ],
    }


def test_assessment_to_json_lists_blocked_stages_and_event_counts() -> None:
    assessment = Assessment(
        fit=70,
        engagement=30,
        score=100,
        grade="A2",
        stage="mql",
        blocked=(Blocked("sql", ("phone", "company")),),
        model="m",
        reasons=(Reason("click", "Click", 4, 2, decayed=True, capped=True),),
    )
    output = assessment_to_json(assessment, 17)
    assert output["blocked"] == [{"stage": "sql", "missing": ["phone", "company"]}]
    assert output["reasons"] == [{"id": "click", "label": "Click", "points": 4, "count": 2}]
    assert output["id"] == 17


def test_missing_contact_company_and_events_are_empty(default_model: ScoringModel) -> None:
    output, ok = assess_line(default_model, '{"id": 7}', NOW)
    assert ok
    assert (output["id"], output["fit"], output["engagement"], output["grade"], output["reasons"]) == (
        7,
        0,
        0,
        "D4",
        [],
    )


def test_occurred_at_may_be_epoch_milliseconds(default_model: ScoringModel) -> None:
    line = '{"id": "c", "events": [{"type": "demo_request", "occurred_at": 1795168800000}]}'
    assert assess_line(default_model, line, NOW)[0]["engagement"] == 10
    line = '{"id": "c", "events": [{"type": "demo_request", "occurred_at": "1795168800000"}]}'
    assert assess_line(default_model, line, NOW)[0]["engagement"] == 10


@pytest.mark.parametrize(
    ("line", "record_id", "problem"),
    [
        ('{"id": "c-1", "contact": ', None, "invalid JSON"),
        ('["c-1"]', None, "not a JSON object"),
        ('{"id": true}', None, "'id' must be a string or an integer"),
        ('{"id": "c-2", "contact": ["email"]}', "c-2", "'contact' must be an object"),
        ('{"id": "c-3", "company": {"address": {"city": "Berlin"}}}', "c-3", "'company.address' must be"),
        ('{"id": "c-4", "events": {"type": "demo_request"}}', "c-4", "'events' must be a list"),
        ('{"id": "c-5", "events": ["demo_request"]}', "c-5", "events[0] must be an object"),
        ('{"id": "c-6", "events": [{"occurred_at": "2026-11-20T10:00:00Z"}]}', "c-6", "events[0] has no 'type'"),
        ('{"id": 8, "events": [{"type": "demo_request"}]}', 8, "events[0]: 'occurred_at' must be"),
        ('{"id": 9, "events": [{"type": "x", "occurred_at": "last week"}]}', 9, "got 'last week'"),
        ('{"id": 10, "events": [{"type": "x", "occurred_at": true}]}', 10, "'occurred_at' must be"),
        ('{"id": 11, "properties": {"country": "Germany"}}', 11, "the line has unknown keys 'properties'"),
        ('{"contacts": {}, "company": {}}', None, "unknown keys 'contacts'; expected only 'id', 'contact'"),
        (
            '{"id": 12, "events": [{"type": "x", "occurred_at": 1, "points": 5}]}',
            12,
            "events[0] has unknown keys 'points'",
        ),
    ],
)
def test_a_malformed_line_gives_its_id_and_what_is_wrong(
    default_model: ScoringModel, line: str, record_id: object, problem: str
) -> None:
    output, ok = assess_line(default_model, line, NOW)
    assert not ok
    assert list(output) == ["id", "error"]
    assert output["id"] == record_id
    assert problem in output["error"]


def test_run_assess_answers_every_line_in_order_and_skips_blank_ones(default_model: ScoringModel) -> None:
    lines = [EXAMPLE + "\n", "\n", "not json\n", '{"id": "c-2"}\n']
    results = list(run_assess(default_model, lines, NOW))
    assert [ok for _, ok in results] == [True, False, True]
    outputs = [json.loads(text) for text, _ in results]
    assert [output["id"] for output in outputs] == ["c-1", None, "c-2"]
    assert "\n" not in "".join(text for text, _ in results)


def test_run_assess_writes_the_json_of_assess_line(default_model: ScoringModel) -> None:
    [(text, ok)] = run_assess(default_model, [EXAMPLE], NOW)
    assert ok
    assert json.loads(text) == assess_line(default_model, EXAMPLE, NOW)[0]
    assert text.startswith('{"id": "c-1", "fit": 60, "engagement": 10, "score": 70, "grade": "B3", "stage": null')


def test_output_lines_keep_non_ascii_labels_readable() -> None:
    model = parse_scoring_model(
        "model: m\nfit: {limit: 9, rules: [{id: gf, label: Geschäftsführer, when: 'true', points: 5}]}\n"
        "engagement: {limit: 9, events: {}}\n"
    )
    [(text, _)] = run_assess(model, ['{"id": "ü-1"}'], NOW)
    assert '"label": "Geschäftsführer"' in text
    assert '"id": "ü-1"' in text


def test_a_line_of_another_shape_is_an_error_not_a_zero_score(default_model: ScoringModel) -> None:
    """HubSpot's own export shape (`properties`) must not silently score zeros."""
    line = '{"id": "c-1", "properties": {"country": "Germany", "email": "a@b.de"}}'
    [(text, ok)] = run_assess(default_model, [line], NOW)
    assert not ok
    assert json.loads(text) == {
        "id": "c-1",
        "error": "the line has unknown keys 'properties'; expected only 'id', 'contact', 'company', 'events'",
    }
