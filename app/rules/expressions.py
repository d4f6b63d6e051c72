"""Conditions: `when` expressions of the rule-engine library, compiled once and evaluated safely."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import rule_engine
from rule_engine import ast as rule_ast
from rule_engine import errors as rule_errors
from rule_engine.suggestions import suggest_symbol
from rule_engine.types import DataType

RECORD_NAMES = ("contact", "company")
FIT_NAMES: Mapping[str, Any] = {"contact": DataType.UNDEFINED, "company": DataType.UNDEFINED}
STAGE_NAMES: Mapping[str, Any] = {
    **FIT_NAMES,
    "fit": DataType.FLOAT,
    "engagement": DataType.FLOAT,
    "score": DataType.FLOAT,
    "grade": DataType.STRING,
    "events_last_7d": DataType.ARRAY(DataType.STRING),
    "events_last_30d": DataType.ARRAY(DataType.STRING),
    "events_last_90d": DataType.ARRAY(DataType.STRING),
    "events_ever": DataType.ARRAY(DataType.STRING),
}


@dataclass(frozen=True, slots=True)
class PropertyRecord:
    """The converted properties of a contact or a company, as seen by expressions (`contact.email`)."""

    values: Mapping[str, object]

    def __getitem__(self, name: str) -> object:
        return self.values[name]


class ExpressionError(Exception):
    """A `when` expression does not compile: the message names the `when` key; `detail` is the same without it, for
    a file whose conditions have other keys (nurture.yaml's `enter`, `exit`, `suppress_when`)."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Condition:
    """A compiled `when` expression."""

    text: str
    rule: Any

    def matches(self, thing: Mapping[str, object]) -> bool:
        """Evaluate the condition; any evaluation error counts as not matched."""
        try:
            return bool(self.rule.matches(thing))
        except Exception:  # SCORING-MODEL.md: an error never fails the contact, the rule just does not match
            return False

    def property_references(self) -> Iterator[tuple[str, str]]:
        """Yield (`contact` or `company`, property name) for every property the expression reads."""
        for node in _walk(self.rule.statement):
            if isinstance(node, rule_ast.GetAttributeExpression) and _is_record_symbol(node.object):
                yield node.object.name, node.name
            elif (
                isinstance(node, rule_ast.GetItemExpression)
                and _is_record_symbol(node.container)
                and isinstance(node.item, rule_ast.StringExpression)
            ):
                yield node.container.name, node.item.value


def literal_values(condition: Condition, symbol: str) -> frozenset[str]:
    """Return the strings a top-level name is compared with for equality (`x == 'a'`, `x in ['a', 'b']`)."""
    found: set[str] = set()
    for node in _walk(condition.rule.statement):
        if isinstance(node, rule_ast.ComparisonExpression) and node.type == "eq":
            found.update(_string_against(node.left, node.right, symbol))
            found.update(_string_against(node.right, node.left, symbol))
        elif isinstance(node, rule_ast.ContainsExpression) and _is_symbol(node.member, symbol):
            items = node.container.value if isinstance(node.container, rule_ast.ArrayExpression) else ()
            found.update(item.value for item in items or () if isinstance(item, rule_ast.StringExpression))
    return frozenset(found)


def required_literals(condition: Condition) -> tuple[tuple[str, str], ...]:
    """Return the (name, string) equalities the whole expression requires: `x == 'a' and …` needs x to be 'a'.

    Only the conjuncts of a top-level `and` chain count; a condition with an `or` at the top requires nothing.
    """
    required: list[tuple[str, str]] = []
    pending: list[object] = [getattr(condition.rule.statement, "expression", None)]
    while pending:
        node = pending.pop()
        if isinstance(node, rule_ast.LogicExpression) and node.type == "and":
            pending.extend((node.right, node.left))
        elif isinstance(node, rule_ast.ComparisonExpression) and node.type == "eq":
            for side, other in ((node.left, node.right), (node.right, node.left)):
                if _is_plain_symbol(side) and isinstance(other, rule_ast.StringExpression):
                    required.append((side.name, other.value))
    return tuple(required)


def read_names(condition: Condition) -> tuple[str, ...] | None:
    """Return the top-level names the expression reads, when its result depends on nothing else; None when it
    reads a built-in symbol (`$now`, …) whose value changes between evaluations."""
    names: dict[str, None] = {}
    for node in _walk(condition.rule.statement):
        if isinstance(node, rule_ast.SymbolExpression):
            if node.scope is not None:
                return None
            names[node.name] = None
    return tuple(names)


def record_reads(condition: Condition) -> tuple[tuple[str, str], ...] | None:
    """Return the (record, property) pairs the expression reads, when its result depends on nothing else: it
    uses `contact` and `company` only to read properties by name, and no other name or built-in symbol."""
    names = read_names(condition)
    if names is None or not set(names) <= set(RECORD_NAMES):
        return None
    symbols = sum(isinstance(node, rule_ast.SymbolExpression) for node in _walk(condition.rule.statement))
    references = list(condition.property_references())
    return tuple(dict.fromkeys(references)) if symbols == len(references) else None


def symbol_count(condition: Condition, name: str) -> int:
    """Return how often the expression names the top-level `name`."""
    return sum(_is_symbol(node, name) for node in _walk(condition.rule.statement))


MEMO_TYPES = (str, int, float, bool, type(None))  # values a result may be remembered by (hashable, plain)


class BoundedMemo:
    """Results remembered by key, forgotten all at once when `size` are held."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.results: dict[Hashable, bool] = {}

    def recall(self, key: Hashable, evaluate: Callable[[], bool]) -> tuple[bool, bool]:
        """Return the result for `key` (evaluated when not remembered) and whether it was remembered."""
        known = self.results.get(key)
        if known is not None:
            return known, True
        if len(self.results) >= self.size:
            self.results.clear()
        known = self.results[key] = evaluate()
        return known, False


def typed(values: tuple[object, ...]) -> tuple[object, ...] | None:
    """Return the values with their types (so True and 1 stay apart), or None when one is not a plain value; a set
    of plain values (multiple checkboxes) is remembered by its frozen copy."""
    keyed: list[object] = []
    for value in values:
        if isinstance(value, set) and all(type(part) in MEMO_TYPES for part in value):
            keyed.append((set, frozenset(value)))
        elif type(value) in MEMO_TYPES:
            keyed.append((type(value), value))
        else:
            return None
    return tuple(keyed)


class RecordMemo:
    """Results of record-reading conditions remembered by the values they read: contacts share companies,
    industries, countries and roles, so most fit rules need not run again for them. A condition whose values
    rarely repeat (an email address) is no longer remembered after a trial."""

    TRIAL = 1000  # lookups after which a condition that hit less than a tenth of the time is evaluated directly

    def __init__(self, size: int = 20_000) -> None:
        self.memo = BoundedMemo(size)
        self._reads: dict[Condition, tuple[tuple[str, str], ...] | None] = {}
        self._tries: dict[Condition, list[int]] = {}  # lookups, hits

    def matches(self, condition: Condition, records: Mapping[str, PropertyRecord]) -> bool:
        if condition not in self._reads:
            self._reads[condition] = record_reads(condition)
            self._tries[condition] = [0, 0]
        reads = self._reads[condition]
        values = None if reads is None else typed(tuple(records[r].values.get(name) for r, name in reads))
        if values is None:
            return condition.matches(records)
        result, remembered = self.memo.recall((condition, values), lambda: condition.matches(records))
        self._count(condition, remembered)
        return result

    def _count(self, condition: Condition, hit: bool) -> None:
        tries = self._tries[condition]
        tries[0] += 1
        tries[1] += hit
        if tries[0] == self.TRIAL and tries[1] * 10 < self.TRIAL:
            self._reads[condition] = None


class FactMemo:
    """Results of conditions over plain facts (`fit`, `engagement`, `score`, `grade`, the event windows)
    remembered by the values they read: a stage rule sees the same few facts again and again, within a contact's
    replay and across contacts. A condition that reads a record (`contact`, `company`) or a built-in symbol is
    evaluated directly."""

    def __init__(self, size: int = 20_000) -> None:
        self.memo = BoundedMemo(size)
        self._reads: dict[Condition, tuple[str, ...] | None] = {}

    def matches(self, condition: Condition, facts: Mapping[str, object]) -> bool:
        if condition not in self._reads:
            names = read_names(condition)
            self._reads[condition] = None if names is None or set(names) & set(RECORD_NAMES) else names
        reads = self._reads[condition]
        values = None if reads is None else _fact_key(tuple(facts.get(name) for name in reads))
        if values is None:
            return condition.matches(facts)
        return self.memo.recall((condition, values), lambda: condition.matches(facts))[0]


def _fact_key(values: tuple[object, ...]) -> tuple[object, ...] | None:
    """The values as a key: plain values with their types, a list of strings (an event window) as a tuple; None
    when one is anything else."""
    keyed: list[object] = []
    for value in values:
        if isinstance(value, list) and all(type(part) is str for part in value):
            keyed.append((list, tuple(value)))
        elif type(value) in MEMO_TYPES:
            keyed.append((type(value), value))
        else:
            return None
    return tuple(keyed)


def _is_plain_symbol(node: object) -> bool:
    return isinstance(node, rule_ast.SymbolExpression) and node.scope is None


def _string_against(side: object, other: object, symbol: str) -> set[str]:
    return {other.value} if _is_symbol(side, symbol) and isinstance(other, rule_ast.StringExpression) else set()


def _is_symbol(node: object, symbol: str) -> bool:
    return isinstance(node, rule_ast.SymbolExpression) and node.name == symbol


def compile_condition(text: str, names: Mapping[str, Any] | None = None) -> Condition:
    """Compile a `when` expression; `names` restricts the top-level names it may use (None: any name)."""
    context = rule_engine.Context(
        default_value=None,
        default_timezone="utc",
        resolver=resolve_symbol,
        type_resolver=None if names is None else _type_resolver(names),
    )
    try:
        with warnings.catch_warnings():
            # string literals are decoded with 'unicode-escape', which warns on regex escapes like '\.'
            # and keeps them unchanged: exactly what a regular expression in a YAML file means
            warnings.simplefilter("ignore", DeprecationWarning)
            rule = rule_engine.Rule(text, context=context)
    except rule_errors.RuleSyntaxError as error:
        raise ExpressionError(f"syntax error in 'when': {error.message}", f"syntax error: {error.message}") from None
    except rule_errors.SymbolResolutionError as error:
        hint = f" (did you mean '{error.suggestion}'?)" if error.suggestion else ""
        allowed = ", ".join(names or ())
        unknown, known = f"unknown name '{error.symbol_name}'", f"{hint}; known names: {allowed}"
        raise ExpressionError(f"{unknown} in 'when'{known}", f"{unknown}{known}") from None
    except rule_errors.RegexSyntaxError as error:
        regex = f"invalid regular expression {error.value!r}"
        raise ExpressionError(f"{regex} in 'when': {error.error}", f"{regex}: {error.error}") from None
    except Exception as error:
        raise ExpressionError(f"invalid 'when': {_describe(error)}", f"invalid: {_describe(error)}") from None
    return Condition(text=text, rule=rule)


def resolve_symbol(thing: object, name: str) -> object:
    """Resolve a top-level name, or a property of a record; an absent one resolves to the default (null)."""
    values = thing.values if isinstance(thing, PropertyRecord) else thing
    if isinstance(values, Mapping) and name in values:
        return values[name]
    raise rule_errors.SymbolResolutionError(name)


def _type_resolver(names: Mapping[str, Any]) -> Any:
    def resolve_type(name: str) -> Any:
        """Return the type of a known name; reject any other."""
        if name not in names:
            raise rule_errors.SymbolResolutionError(name, suggestion=suggest_symbol(name, list(names)))
        return names[name]

    return resolve_type


def _describe(error: Exception) -> str:
    message = getattr(error, "message", None)
    return message if isinstance(message, str) else str(error) or type(error).__name__


def _is_record_symbol(node: object) -> bool:
    return isinstance(node, rule_ast.SymbolExpression) and node.name in RECORD_NAMES


def _walk(node: object) -> Iterator[object]:
    yield node
    for child in _children(node):
        yield from _walk(child)


def _children(node: object) -> Iterator[object]:
    names = dict.fromkeys(name for cls in type(node).__mro__ for name in getattr(cls, "__slots__", ()))
    names.update(dict.fromkeys(getattr(node, "__dict__", {})))
    for name in names:
        if name != "context":
            yield from _nodes_in(getattr(node, name, None))


def _nodes_in(value: object) -> Iterator[object]:
    if isinstance(value, rule_ast.ASTNodeBase):
        yield value
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _nodes_in(item)
