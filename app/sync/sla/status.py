"""The SLA properties on the contact: status, due time, first touch, business minutes — written when changed.

The watch computes the status of every open clock (time alone moves it: on_track → at_risk → breached) and of
every clock touched since it was last written (met or missed, final); a contact is written only when its values
differ from what the ledger remembers writing (`handovers.sla_written`), 100 contacts per request. A contact with
several timed handovers shows its newest.
"""

from __future__ import annotations

import logging
from datetime import datetime

from app.ledger.records import SlaClock
from app.ledger.store import Ledger
from app.rules.calendar import business_minutes_between
from app.rules.sla.clock import at_risk_points, sla_status
from app.rules.sla.policy import SlaConfig
from app.rules.sla.visible import SlaView
from app.sync.hubspot.gateway import HubSpotGateway

logger = logging.getLogger(__name__)


def write_statuses(ledger: Ledger, gateway: HubSpotGateway, config: SlaConfig, now: datetime) -> int:
    """Write the SLA properties that changed; return how many contacts were written."""
    newest: dict[str, SlaClock] = {}
    for clock in ledger.sla.clocks_to_write():
        newest[clock.contact_id] = clock  # oldest first: the newest handover of a contact wins
    views = {clock.key: (clock, sla_view(config, clock, now)) for clock in newest.values()}
    changed = {key: pair for key, pair in views.items() if pair[1].fingerprint() != pair[0].sla_written}
    if not changed:
        return 0
    refused = gateway.update_objects("contact", {clock.contact_id: view.writes() for clock, view in changed.values()})
    for contact_id, why in refused.items():
        logger.error("sla-watch.write-refused", extra={"contact": contact_id, "reason": why})
    written = {key: view.fingerprint() for key, (clock, view) in changed.items() if clock.contact_id not in refused}
    ledger.sla.record_written(written)
    return len(written)


def sla_view(config: SlaConfig, clock: SlaClock, now: datetime) -> SlaView:
    """Return what the contact shows of a clock at `now`."""
    target = next((t for t in config.targets if t.id == clock.sla_target), None)
    points = at_risk_points(config, target, clock.sla_clock_at, clock.sla_due_at)  # the stored due time counts
    status = sla_status(points, clock.first_touch_at, now)
    minutes = None
    if clock.first_touch_at is not None and target is not None:
        minutes = business_minutes_between(target.calendar, clock.sla_clock_at, clock.first_touch_at)
    return SlaView(status, clock.sla_due_at, clock.first_touch_at, minutes)
