"""Signal rules: which HubSpot webhook events count as which engagement event types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from app.rules.expressions import Condition, literal_values


@dataclass(frozen=True, slots=True)
class SignalRule:
    """A webhook event of `subscription` that matches `condition` is an engagement event of type `event`."""

    id: str
    event: str
    subscription: str
    condition: Condition
    label: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class SignalRules:
    """The signal rules of config/signals.yaml, indexed by HubSpot subscription type."""

    rules: tuple[SignalRule, ...]
    _by_subscription: Mapping[str, tuple[SignalRule, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, list[SignalRule]] = {}
        for rule in self.rules:
            index.setdefault(rule.subscription, []).append(rule)
        object.__setattr__(self, "_by_subscription", {key: tuple(rules) for key, rules in index.items()})

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
        matched = (rule.event for rule in self._by_subscription.get(subscription, ()) if rule.condition.matches(event))
        return tuple(dict.fromkeys(matched))
