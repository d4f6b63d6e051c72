"""An invalid scoring model fails at load time with the file, the rule (or location) and the problem."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from app.rules import ConfigError, load_scoring_model, parse_scoring_model

FILE = "config/scoring.yaml"

VALID = """\
model: m-1
properties:
  company.numberofemployees: number
fit:
  limit: 100
  rules:
    - id: target-industry
      when: company.industry == 'MACHINERY'
      points: 25
    - id: company-size
      when: company.numberofemployees >= 50
      points: 20
engagement:
  limit: 100
  half_life_days: 90
  events:
    demo_request: {label: Demo request, points: 10}
    whitepaper_download: {points: 5, cap: 15}
grades:
  fit: [[A, 70], [B, 40], [C, 0]]
  engagement: [['1', 60], ['2', 0]]
stages:
  - id: sql
    when: fit >= 60
    requires: [email, phone]
  - id: mql
    when: fit >= 40
"""


def load_error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_scoring_model(text, FILE)
    return caught.value


def with_replaced(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new, 1)


def test_the_valid_base_model_loads() -> None:
    assert parse_scoring_model(VALID, FILE).model == "m-1"


def test_an_expression_that_does_not_compile_names_file_rule_and_problem() -> None:
    error = load_error(with_replaced("company.numberofemployees >= 50", "company.numberofemployees >="))
    assert (error.file, error.rule) == (FILE, "company-size")
    assert str(error).startswith("config/scoring.yaml: rule 'company-size': syntax error in 'when': ")


def test_a_misspelt_name_in_an_expression_fails_at_load_time() -> None:
    error = load_error(with_replaced("company.industry ==", "compnay.industry =="))
    assert error.rule == "target-industry"
    assert "unknown name 'compnay'" in error.problem
    assert "did you mean 'company'" in error.problem


def test_fit_rules_may_not_use_the_names_of_stage_rules() -> None:
    error = load_error(with_replaced("company.industry == 'MACHINERY'", "engagement > 10"))
    assert (error.rule, error.subject) == ("target-industry", "rule")
    assert "unknown name 'engagement'" in error.problem


def test_an_invalid_regular_expression_fails_at_load_time() -> None:
    error = load_error(with_replaced("company.industry == 'MACHINERY'", "company.industry =~ '(MACH'"))
    assert error.rule == "target-industry"
    assert "invalid regular expression '(MACH'" in error.problem


def test_a_type_error_between_literals_fails_at_load_time() -> None:
    error = load_error(with_replaced("fit >= 60", "fit >= 'sixty'"))
    assert str(error).startswith("config/scoring.yaml: stage 'sql': invalid 'when': ")


def test_a_stage_expression_error_names_the_stage() -> None:
    error = load_error(with_replaced("fit >= 40", "fit >= 40 and"))
    assert (error.rule, error.subject) == ("mql", "stage")
    assert "syntax error in 'when'" in str(error)


def test_yaml_syntax_errors_give_the_line() -> None:
    error = load_error(with_replaced("  limit: 100\n  rules:", "  limit: 100\n rules:"))
    assert error.rule is None
    assert str(error).startswith("config/scoring.yaml: YAML syntax error at line 6")


def test_a_duplicate_yaml_key_is_an_error_rather_than_silently_last_wins() -> None:
    error = load_error(
        with_replaced("    whitepaper_download:", "    demo_request: {points: 1}\n    whitepaper_download:")
    )
    assert "duplicate key 'demo_request'" in error.problem
    assert "line 18" in error.problem


def test_an_empty_file_is_an_error() -> None:
    assert str(load_error("# nothing\n")) == "config/scoring.yaml: the file is empty"


def test_a_top_level_list_is_an_error() -> None:
    assert "top level must be a mapping" in load_error("- model: m\n").problem


def test_a_missing_model_version_is_an_error() -> None:
    error = load_error(with_replaced("model: m-1\n", ""))
    assert str(error) == "config/scoring.yaml: missing required top-level key 'model'"


def test_an_unknown_top_level_key_is_an_error() -> None:
    error = load_error(VALID + "routing: {}\n")
    assert str(error) == "config/scoring.yaml: unknown top-level key 'routing'"


def test_an_unknown_key_in_a_rule_names_the_rule() -> None:
    error = load_error(with_replaced("      points: 25", "      points: 25\n      weight: 3"))
    assert str(error) == "config/scoring.yaml: rule 'target-industry': unknown key 'weight'"


def test_duplicate_rule_ids_are_an_error() -> None:
    error = load_error(with_replaced("id: company-size", "id: target-industry"))
    assert str(error) == "config/scoring.yaml: rule 'target-industry': duplicate rule id"


def test_duplicate_stage_ids_are_an_error() -> None:
    error = load_error(with_replaced("id: mql", "id: sql"))
    assert str(error) == "config/scoring.yaml: stage 'sql': duplicate stage id"


def test_points_of_the_wrong_type_name_the_rule_and_the_key() -> None:
    error = load_error(with_replaced("points: 25", "points: twenty-five"))
    assert error.rule == "target-industry"
    assert error.problem == "'points' should be a valid number, got 'twenty-five'"


def test_a_boolean_is_not_a_number() -> None:
    assert load_error(with_replaced("points: 25", "points: true")).rule == "target-industry"


def test_infinite_points_are_an_error() -> None:
    assert "finite number" in load_error(with_replaced("points: 25", "points: .inf")).problem


def test_a_when_that_is_not_text_is_an_error() -> None:
    error = load_error(with_replaced("when: fit >= 40", "when: true"))
    assert (error.rule, error.subject) == ("mql", "stage")
    assert "'when'" in error.problem


def test_a_rule_without_id_is_named_by_its_position() -> None:
    error = load_error(with_replaced("    - id: company-size\n", "    - label: no id\n"))
    assert str(error) == "config/scoring.yaml: fit.rules[1]: missing required key 'id'"


def test_a_stage_without_id_is_named_by_its_position() -> None:
    error = load_error(with_replaced("  - id: sql\n", "  - label: SQL\n"))
    assert str(error) == "config/scoring.yaml: stages[0]: missing required key 'id'"


def test_an_id_must_be_a_slug() -> None:
    error = load_error(with_replaced("id: company-size", "id: company size"))
    assert error.rule == "company size"
    assert "must be a slug" in error.problem


def test_a_negative_limit_is_an_error() -> None:
    error = load_error(with_replaced("limit: 100\n  rules", "limit: -1\n  rules"))
    assert (error.rule, error.subject) == ("fit", "")
    assert str(error).startswith("config/scoring.yaml: fit: 'limit' should be greater than or equal to 0")


def test_a_half_life_of_zero_days_is_an_error() -> None:
    error = load_error(with_replaced("half_life_days: 90", "half_life_days: 0"))
    assert error.rule == "engagement"
    assert "'half_life_days' should be greater than 0" in error.problem


def test_a_negative_cap_names_the_event_type() -> None:
    error = load_error(with_replaced("cap: 15", "cap: -5"))
    assert str(error).startswith("config/scoring.yaml: engagement.events.whitepaper_download: 'cap' should")


def test_an_event_type_without_points_is_an_error() -> None:
    error = load_error(with_replaced("{label: Demo request, points: 10}", "{label: Demo request}"))
    assert str(error) == "config/scoring.yaml: engagement.events.demo_request: missing required key 'points'"


def test_an_event_type_name_must_be_a_slug() -> None:
    error = load_error(with_replaced("    demo_request:", "    demo request:"))
    assert error.rule == "engagement.events"
    assert "must be a slug" in error.problem


def test_a_grade_entry_must_be_a_pair_of_label_and_threshold() -> None:
    error = load_error(with_replaced("[C, 0]", "[C]"))
    assert str(error).startswith("config/scoring.yaml: grades.fit[2]: ")
    assert "pair [label, threshold]" in error.problem


def test_a_grade_threshold_must_be_a_number() -> None:
    error = load_error(with_replaced("['2', 0]", "['2', low]"))
    assert str(error).startswith("config/scoring.yaml: grades.engagement[1]: 'threshold' should be a valid")


def test_an_unknown_property_type_is_an_error() -> None:
    error = load_error(with_replaced("company.numberofemployees: number", "company.numberofemployees: integer"))
    assert str(error).startswith(
        "config/scoring.yaml: properties.company.numberofemployees: unknown property type 'integer'"
    )


def test_a_property_declaration_must_name_contact_or_company() -> None:
    error = load_error(with_replaced("company.numberofemployees: number", "deal.amount: number"))
    assert error.rule == "properties.deal.amount"
    assert "contact.<name> or company.<name>" in error.problem


def test_a_required_property_must_be_a_property_name() -> None:
    error = load_error(with_replaced("requires: [email, phone]", "requires: [email, 'first name']"))
    assert (error.rule, error.subject) == ("sql", "stage")
    assert "'first name'" in error.problem


def test_a_missing_file_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        load_scoring_model(path)
    assert caught.value.file == str(path)
    assert "cannot read the file" in caught.value.problem


def test_an_error_in_a_loaded_file_names_that_file(tmp_path: Path) -> None:
    path = tmp_path / "scoring.yaml"
    path.write_text(textwrap.dedent(with_replaced("points: 25", "points: x")))
    with pytest.raises(ConfigError, match=r"scoring\.yaml: rule 'target-industry': 'points'"):
        load_scoring_model(path)
