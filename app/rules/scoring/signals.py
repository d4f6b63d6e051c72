"""Signal rules: which HubSpot webhook events count as which engagement event types.

A rule may read other contact properties (`contact.recent_conversion_event_name`) as they were when the event
happened: HubSpot's event does not carry them, so such an event waits until they are recalled from HubSpot
(`recalled`), then every rule is evaluated with them (`engagement_types(event, recalled)`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from app.rules.expressions import (
    BoundedMemo,
    Condition,
    PropertyRecord,
    literal_values,
    read_names,
    required_literals,
    symbol_count,
    typed,
)

RECALLED_RECORD = "contact"  # the name under which a rule reads the recalled contact properties


@dataclass(frozen=True, slots=True)
class SignalRule:
    """A webhook event of `subscription` that matches `condition` is an engagement event of type `event`."""

    id: str
    event: str
    subscription: str
    condition: Condition
    label: str
    description: str = ""
    recalls: tuple[str, ...] = ()  # contact properties it reads as they were when the event happened


MEMO_SIZE = 10_000  # remembered (rule, values read) results; forgotten all at once when full


@dataclass(frozen=True, slots=True)
class GuardedRule:
    """A rule, the (name, string) equalities its condition requires, and the names it reads (None: not pure)."""

    position: int  # in the file: names the rule in the memo (ids are only unique in validated files)
    rule: SignalRule
    required: tuple[tuple[str, str], ...]
    reads: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class SignalRules:
    """The signal rules of config/signals.yaml, indexed by HubSpot subscription type."""

    rules: tuple[SignalRule, ...]
    _by_subscription: Mapping[str, tuple[SignalRule, ...]] = field(init=False, repr=False, compare=False)
    _guarded: Mapping[str, tuple[GuardedRule, ...]] = field(init=False, repr=False, compare=False)
    _memo: BoundedMemo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, list[SignalRule]] = {}
        guarded: dict[str, list[GuardedRule]] = {}
        for position, rule in enumerate(self.rules):
            index.setdefault(rule.subscription, []).append(rule)
            guarded.setdefault(rule.subscription, []).append(_guard(position, rule))
        object.__setattr__(self, "_by_subscription", {key: tuple(rules) for key, rules in index.items()})
        object.__setattr__(self, "_guarded", {key: tuple(rules) for key, rules in guarded.items()})
        object.__setattr__(self, "_memo", BoundedMemo(MEMO_SIZE))

    @property
    def subscriptions(self) -> tuple[str, ...]:
        """The HubSpot subscription types the rules listen to, in file order."""
        return tuple(self._by_subscription)

    @property
    def event_types(self) -> tuple[str, ...]:
        """The engagement event types the rules can produce, in file order."""
        return tuple(dict.fromkeys(rule.event for rule in self.rules))

    def watched(self, subscription: str, field_name: str) -> frozenset[str]:
        """Return the values the rules of `subscription` compare `field_name` with (e.g. property names)."""
        rules = self._by_subscription.get(subscription, ())
        return frozenset(value for rule in rules for value in literal_values(rule.condition, field_name))

    @property
    def recalled_properties(self) -> frozenset[str]:
        """Return every contact property some rule reads as it was when its event happened."""
        return frozenset(name for rule in self.rules for name in rule.recalls)

    def recalled(self, event: Mapping[str, object]) -> tuple[str, ...]:
        """Return the contact properties that must be recalled before the rules can judge this event (sorted;
        empty when every rule that may match it judges it from the event alone)."""
        names = {name for guarded in self._candidates(event) for name in guarded.rule.recalls}
        return tuple(sorted(names))

    def engagement_types(
        self, event: Mapping[str, object], recalled: Mapping[str, str | None] | None = None
    ) -> tuple[str, ...]:
        """Return the distinct engagement event types of every rule that matches a raw webhook event; rules that
        read recalled contact properties take part only when `recalled` gives them."""
        view: Mapping[str, object] = event
        if recalled is not None:
            view = {**event, RECALLED_RECORD: PropertyRecord(dict(recalled))}
        matched = (
            guarded.rule.event
            for guarded in self._candidates(event)
            if (recalled is not None or not guarded.rule.recalls) and self._matches(guarded, view)
        )
        return tuple(dict.fromkeys(matched))

    def _candidates(self, event: Mapping[str, object]) -> Iterator[GuardedRule]:
        """Yield the rules of the event's subscription whose required equalities its own values do not rule out."""
        subscription = event.get("subscriptionType")
        if not isinstance(subscription, str):
            return
        for guarded in self._guarded.get(subscription, ()):
            if _may_match(event, guarded.required):
                yield guarded

    def _matches(self, guarded: GuardedRule, event: Mapping[str, object]) -> bool:
        """Evaluate the rule's condition, or recall its result for the same values of the names it reads (a
        portal's form names repeat: the same regular expressions need not run on them again and again)."""
        values = None if guarded.reads is None else typed(tuple(event.get(name) for name in guarded.reads))
        if values is None:
            return guarded.rule.condition.matches(event)
        return self._memo.recall((guarded.position, values), lambda: guarded.rule.condition.matches(event))[0]


RECALL_SUBSCRIPTION = "contact.propertyChange"


def recall_problem(condition: Condition, subscription: str) -> str | None:
    """Say what is wrong with how a condition reads recalled contact properties, or None when nothing is."""
    references = list(condition.property_references())
    if any(record != RECALLED_RECORD for record, _name in references):
        return "'when' may read contact properties (contact.<name>), not company ones"
    if not references:
        return None if RECALLED_RECORD not in (read_names(condition) or ()) else _NAME_THE_PROPERTY
    if symbol_count(condition, RECALLED_RECORD) != len(references):
        return _NAME_THE_PROPERTY
    if subscription != RECALL_SUBSCRIPTION:
        return f"only {RECALL_SUBSCRIPTION} rules can read contact properties; this one listens to {subscription}"
    if not any(name == "propertyName" for name, _value in required_literals(condition)):
        return "a rule that reads contact properties must name the changed property: propertyName == '…' and …"
    return None


_NAME_THE_PROPERTY = "'when' must read a contact property by its name: contact.<name>"


def _guard(position: int, rule: SignalRule) -> GuardedRule:
    return GuardedRule(position, rule, required_literals(rule.condition), read_names(rule.condition))


def _may_match(event: Mapping[str, object], required: tuple[tuple[str, str], ...]) -> bool:
    """Return False when the event's own values rule out the condition (`propertyName == 'x' and …` against a
    change of another property), so the expression need not be evaluated; True when it may match."""
    for name, literal in required:
        value = event.get(name)
        if (value is None or isinstance(value, str)) and value != literal:
            return False
    return True
