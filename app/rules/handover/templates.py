"""Text templates of the handover (`Call {contact.firstname} at {company.name}`): checked at load, rendered safely.

Templates use `str.format` placeholders, but rendering never calls `format`: each placeholder is looked up by
name in a `TemplateContext`, so a template can read nothing but the values offered to it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from app.rules.handover.types import RawProperties

HANDOVER_PLACEHOLDERS = frozenset(
    {"stage", "stage_label", "score", "fit", "engagement", "grade", "reasons", "due_at", "owner.name", "owner.email"}
)
"""Placeholders of every handover template, besides `contact.<property>` and `company.<property>`."""
DATA_TASK_PLACEHOLDERS = HANDOVER_PLACEHOLDERS | {"missing"}
RECORDS = ("contact", "company")
LINE_SEPARATOR = " · "
_PROPERTY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")


class TemplateError(ValueError):
    """A template does not parse or uses a placeholder it may not use."""


@dataclass(frozen=True, slots=True)
class TemplateContext:
    """The values a template may show: the contact's and company's raw properties and named fields."""

    contact: RawProperties
    company: RawProperties
    fields: Mapping[str, str] = field(default_factory=dict)

    def value(self, name: str) -> str | None:
        """Return the value of a placeholder; None or "" means missing."""
        record, dot, prop = name.partition(".")
        if dot and record in RECORDS:
            return (self.contact if record == "contact" else self.company).get(prop)
        return self.fields.get(name)


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template: literal text and placeholders; a single-line one keeps every value on one line."""

    text: str
    parts: tuple[tuple[str, str | None], ...]
    single_line: bool = False

    @property
    def placeholders(self) -> tuple[str, ...]:
        """Return the placeholder names in order of appearance."""
        return tuple(name for _, name in self.parts if name is not None)

    def render(self, context: TemplateContext, defaults: Mapping[str, str]) -> str:
        """Render with the context's values; a missing value is its default, or empty."""
        pieces: list[str] = []
        for literal, name in self.parts:
            pieces.append(literal)
            if name is not None:
                value = context.value(name) or defaults.get(name, "")
                pieces.append(_one_line(value) if self.single_line else value)
        text = "".join(pieces)
        return " ".join(text.split()) if self.single_line else text


def compile_template(text: str, allowed: Iterable[str], *, single_line: bool = False) -> Template:
    """Parse a template and check its placeholders; raise TemplateError naming the first problem."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as error:
        raise TemplateError(f"invalid template {text!r}: {error}") from None
    allowed_names = frozenset(allowed)
    parts: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in parsed:
        if name is not None:
            check_placeholder(name, allowed_names)
            if spec or conversion:
                raise TemplateError(f"placeholder {{{name}}} may not have a format or conversion ('!' or ':')")
        parts.append((literal, name))
    return Template(text, tuple(parts), single_line)


def check_placeholder(name: str, allowed: frozenset[str]) -> None:
    """Raise TemplateError unless `name` is allowed or reads a contact or company property."""
    record, dot, prop = name.partition(".")
    if name in allowed or (dot and record in RECORDS and _PROPERTY_NAME.fullmatch(prop)):
        return
    known = ", ".join(["contact.<property>", "company.<property>", *sorted(allowed)])
    raise TemplateError(f"unknown placeholder {{{name}}} (known: {known})")


def _one_line(value: str) -> str:
    return LINE_SEPARATOR.join(line.strip() for line in value.splitlines() if line.strip())
