"""Signal rules: which HubSpot webhook events count as which engagement event types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from app.rules.expressions import Condition, literal_values, required_literals


@dataclass(frozen=True, slots=True)
class SignalRule:
    """A webhook event of `subscription` that matches `condition` is an engagement event of type `event`."""

    id: str
    event: str
    subscription: str
    condition: Condition
    label: str
    description: str = ""


GuardedRule = tuple[SignalRule, tuple[tuple[str, str], ...]]  # a rule and the (name, string) equalities it requires


@dataclass(frozen=True, slots=True)
class SignalRules:
    """The signal rules of config/signals.yaml, indexed by HubSpot subscription type."""

    rules: tuple[SignalRule, ...]
    _by_subscription: Mapping[str, tuple[SignalRule, ...]] = field(init=False, repr=False, compare=False)
    _guarded: Mapping[str, tuple[GuardedRule, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, list[SignalRule]] = {}
        for rule in self.rules:
            index.setdefault(rule.subscription, []).append(rule)
        object.__setattr__(self, "_by_subscription", {key: tuple(rules) for key, rules in index.items()})
        guarded = {
            key: tuple((rule, required_literals(rule.condition)) for rule in rules) for key, rules in index.items()
        }
        object.__setattr__(self, "_guarded", guarded)

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
            rule.event
            for rule, required in self._guarded.get(subscription, ())
            if _may_match(event, required) and rule.condition.matches(event)
        )
        return tuple(dict.fromkeys(matched))


def _may_match(event: Mapping[str, object], required: tuple[tuple[str, str], ...]) -> bool:
    """Return False when the event's own values rule out the condition (`propertyName == 'x' and …` against a
    change of another property), so the expression need not be evaluated; True when it may match."""
    for name, literal in required:
        value = event.get(name)
        if (value is None or isinstance(value, str)) and value != literal:
            return False
    return True
