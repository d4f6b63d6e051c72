"""Which of Leadflow's features a configuration turns on, and so which scopes and subscriptions its app needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.rules.configuration import Configuration
from app.rules.subscriptions import WebhookSubscription, required_subscriptions

Feature = Literal["scoring", "engagement-signals", "handover", "leads", "sla", "nurture-lists", "nurture-sequence"]


@dataclass(frozen=True)
class Features:
    """The features on (scoring always is), with the webhook subscriptions they need."""

    subscriptions: tuple[WebhookSubscription, ...]
    engagement_signals: bool = False
    handover: bool = False
    leads: bool = False
    sla: bool = False
    nurture_lists: bool = False
    nurture_sequence: bool = False

    def enabled(self) -> tuple[Feature, ...]:
        """Return the features on, in a stable order."""
        switches: tuple[tuple[Feature, bool], ...] = (
            ("scoring", True),
            ("engagement-signals", self.engagement_signals),
            ("handover", self.handover),
            ("leads", self.leads),
            ("sla", self.sla),
            ("nurture-lists", self.nurture_lists),
            ("nurture-sequence", self.nurture_sequence),
        )
        return tuple(feature for feature, on in switches if on)


def features_of(config: Configuration) -> Features:
    """Return the features `config` turns on and the subscriptions they need (`required_subscriptions`)."""
    first_touch = config.sla.first_touch if config.sla is not None else None
    subscriptions = required_subscriptions(config.model, config.signals, config.handover, first_touch)
    delivery = config.nurture.delivery if config.nurture is not None else None
    return Features(
        subscriptions=subscriptions,
        engagement_signals=bool(config.signals.watched("object.creation", "objectTypeId")),
        handover=config.handover is not None,
        leads=config.handover is not None and config.handover.leads is not None,
        sla=config.sla is not None,
        nurture_lists=delivery is not None and bool(delivery.lists),
        nurture_sequence=delivery is not None and delivery.sequence_id is not None,
    )
