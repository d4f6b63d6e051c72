"""The contact card's endpoint (docs/contact-card.md): HubSpot's signed `hubspot.fetch` calls from the app card."""

from __future__ import annotations

from app.card.views import CardEndpoint, create_card_blueprint

__all__ = ["CardEndpoint", "create_card_blueprint"]
