"""The naive strategy the API-economy figures are compared with: one job per webhook event, each reading and
writing single records — the contact, its company association, the company, then a PATCH of the contact.

It assesses with the same model as Leadflow (engagement kept in memory per contact), so it does the same work;
it only spends HubSpot's requests the obvious way. It runs against a twin of its own without rate limits: the
number of requests it needs does not depend on how fast HubSpot answers them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

import requests

from app.rules import EngagementEvent, ScoringModel, assess
from app.rules.scoring.writes import score_values


class NaiveScorer:
    def __init__(self, api_base: str, token: str, model: ScoringModel) -> None:
        self.api = api_base.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.model = model
        self.contact_properties, self.company_properties = (sorted(p) for p in model.referenced_properties())
        self.events: dict[str, list[EngagementEvent]] = defaultdict(list)

    def handle(self, contact_id: str, event_type: str | None, at: datetime) -> None:
        """One webhook event, one job: read everything it needs one record at a time, then write."""
        if event_type is not None:
            self.events[contact_id].append(EngagementEvent(event_type, at))
        contact = self._get(f"/crm/v3/objects/contacts/{contact_id}", self.contact_properties)
        links = self._json("GET", f"/crm/v4/objects/contacts/{contact_id}/associations/companies")
        company: dict[str, str | None] = {}
        if links.get("results"):
            company_id = str(links["results"][0]["toObjectId"])
            company = self._get(f"/crm/v3/objects/companies/{company_id}", self.company_properties)
        assessment = assess(self.model, contact, company, self.events[contact_id], datetime.now(UTC))
        body = {"properties": score_values(assessment)}
        self._json("PATCH", f"/crm/v3/objects/contacts/{contact_id}", body)

    def handle_all(self, events: Iterable[tuple[str, str | None, datetime]]) -> None:
        for contact_id, event_type, at in events:
            self.handle(contact_id, event_type, at)

    def _get(self, path: str, properties: list[str]) -> dict[str, str | None]:
        answer = self._json("GET", f"{path}?properties={','.join(properties)}")
        return dict(answer.get("properties") or {})

    def _json(self, method: str, path: str, body: object = None) -> dict:  # type: ignore[type-arg]
        response = self.session.request(method, self.api + path, json=body, timeout=30)
        response.raise_for_status()
        return response.json() if response.content else {}
