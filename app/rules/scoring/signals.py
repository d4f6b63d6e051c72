"""Signal rules: which HubSpot webhook events count as which engagement event types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from app.rules.expressions import BoundedMemo, Condition, literal_values, read_names, required_literals, typed


@dataclass(frozen=True, slots=True)
class SignalRule:
    """A webhook event of `subscription` that matches `condition` is an engagement event of type `event`."""

    id: str
    event: str
    subscription: str
    condition: Condition
    label: str
    description: str = ""


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

    def engagement_types(self, event: Mapping[str, object]) -> tuple[str, ...]:
        """Return the distinct engagement event types of every rule that matches a raw webhook event."""
        subscription = event.get("subscriptionType")
        if not isinstance(subscription, str):
            return ()
        matched = (
            guarded.rule.event
            for guarded in self._guarded.get(subscription, ())
            if _may_match(event, guarded.required) and self._matches(guarded, event)
        )
        return tuple(dict.fromkeys(matched))

    def _matches(self, guarded: GuardedRule, event: Mapping[str, object]) -> bool:
        """Evaluate the rule's condition, or recall its result for the same values of the names it reads (a
        portal's form names repeat: the same regular expressions need not run on them again and again)."""
        values = None if guarded.reads is None else typed(tuple(event.get(name) for name in guarded.reads))
        if values is None:
            return guarded.rule.condition.matches(event)
        return self._memo.recall((guarded.position, values), lambda: guarded.rule.condition.matches(event))[0]


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
