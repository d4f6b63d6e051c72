"""Handover templates: placeholders checked when loaded, values looked up by name, never `format`ted."""

from __future__ import annotations

import pytest

from app.rules.handover.templates import HANDOVER_PLACEHOLDERS, TemplateContext, TemplateError, compile_template

CONTEXT = TemplateContext({"firstname": "Jane", "bio": "line one\n\nline two"}, {"name": "Acme"}, {"grade": "B2"})


def test_placeholders_are_listed_in_order() -> None:
    template = compile_template("{contact.firstname} {company.name} {grade}", HANDOVER_PLACEHOLDERS)
    assert template.placeholders == ("contact.firstname", "company.name", "grade")


def test_doubled_braces_are_literal_braces() -> None:
    assert compile_template("{{grade}} is {grade}", HANDOVER_PLACEHOLDERS).render(CONTEXT, {}) == "{grade} is B2"


def test_any_contact_or_company_property_may_be_used() -> None:
    template = compile_template("{contact.hs_lead_status}/{company.numberofemployees}", HANDOVER_PLACEHOLDERS)
    assert template.render(CONTEXT, {}) == "/"


def test_a_missing_value_takes_its_default() -> None:
    template = compile_template("Hi {contact.lastname}, {stage}", HANDOVER_PLACEHOLDERS)
    assert template.render(CONTEXT, {"contact.lastname": "friend"}) == "Hi friend, "


def test_a_single_line_template_joins_lines_of_values_and_squeezes_spaces() -> None:
    template = compile_template("  {contact.bio}  ", HANDOVER_PLACEHOLDERS, single_line=True)
    assert template.render(CONTEXT, {}) == "line one · line two"
    assert compile_template("{contact.bio}", HANDOVER_PLACEHOLDERS).render(CONTEXT, {}) == "line one\n\nline two"


@pytest.mark.parametrize("text", ["{grade.__class__}", "{contact.firstname.upper}", "{owner.id}"])
def test_attribute_access_is_not_a_placeholder(text: str) -> None:
    with pytest.raises(TemplateError, match="unknown placeholder"):
        compile_template(text, HANDOVER_PLACEHOLDERS)


def test_a_dunder_property_name_is_only_looked_up_among_the_properties() -> None:
    assert compile_template("{contact.__class__}", HANDOVER_PLACEHOLDERS).render(CONTEXT, {}) == ""


def test_values_are_inserted_verbatim_even_when_they_look_like_placeholders() -> None:
    context = TemplateContext({"firstname": "{grade}"}, {}, {"grade": "A1"})
    assert compile_template("{contact.firstname}", HANDOVER_PLACEHOLDERS).render(context, {}) == "{grade}"
