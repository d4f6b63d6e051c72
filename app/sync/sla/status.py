"""The SLA properties on the contact: status, due time, first touch, business minutes — written when changed.

The watch computes the status of every open clock (time alone moves it: on_track → at_risk → breached) and of
every clock touched since it was last written (met or missed, final); a contact is written only when its values
differ from what the ledger remembers writing (`handovers.sla_written`), 100 contacts per request, and again once
HUBSPOT_RECHECK_SECONDS have passed after a write HubSpot left unanswered. A contact with several timed handovers
shows its newest.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from app.ledger.records import SlaClock
from app.ledger.store import Ledger
from app.rules.calendar import business_minutes_between
from app.rules.sla.clock import at_risk_points, sla_status
from app.rules.sla.policy import SlaConfig
from app.rules.sla.visible import SlaView
from app.sync.hubspot.gateway import HubSpotGateway

logger = logging.getLogger(__name__)
RECHECK = "recheck@"  # `handovers.sla_written` of a write HubSpot left unanswered: `recheck@<epoch>|<fingerprint>`


def write_statuses(
    ledger: Ledger, gateway: HubSpotGateway, config: SlaConfig, now: datetime, recheck_after: timedelta
) -> int:
    """Write the SLA properties that changed (or whose recheck is due); return how many contacts were written.

    A write HubSpot left unanswered may land late, over a newer one: the contact is written again once
    `recheck_after` has passed (HUBSPOT_RECHECK_SECONDS, as the drain does for its own writes), whatever was
    written in between."""
    newest: dict[str, SlaClock] = {}
    for clock in ledger.sla.clocks_to_write():
        newest[clock.contact_id] = clock  # oldest first: the newest handover of a contact wins
    views = {clock.key: (clock, sla_view(config, clock, now)) for clock in newest.values()}
    changed = {key: pair for key, pair in views.items() if _to_write(pair[0].sla_written, pair[1], now)}
    if not changed:
        return 0
    refused = gateway.update_objects("contact", {clock.contact_id: view.writes() for clock, view in changed.values()})
    for contact_id, why in refused.items():
        logger.error("sla-watch.write-refused", extra={"contact": contact_id, "reason": why})
    uncertain = gateway.uncertain_writes("contact")
    written = {
        key: _written(clock.sla_written, view, now, now + recheck_after if clock.contact_id in uncertain else None)
        for key, (clock, view) in changed.items()
        if clock.contact_id not in refused
    }
    ledger.sla.record_written(written)
    return len(written)


def _to_write(written: str | None, view: SlaView, now: datetime) -> bool:
    recheck_at, fingerprint = _recheck_of(written)
    return fingerprint != view.fingerprint() or (recheck_at is not None and recheck_at <= now)


def _written(before: str | None, view: SlaView, now: datetime, recheck_at: datetime | None) -> str:
    """Return what the ledger keeps of a write: its fingerprint, after `recheck@<epoch>|` while a recheck is pending
    (a new unanswered write, or an earlier one whose recheck is not yet due)."""
    pending, _ = _recheck_of(before)
    if recheck_at is None and pending is not None and pending > now:
        recheck_at = pending
    if recheck_at is None:
        return view.fingerprint()
    return f"{RECHECK}{int(recheck_at.timestamp())}|{view.fingerprint()}"


def _recheck_of(written: str | None) -> tuple[datetime | None, str | None]:
    if written is None or not written.startswith(RECHECK):
        return None, written
    epoch, _, fingerprint = written.removeprefix(RECHECK).partition("|")
    return datetime.fromtimestamp(int(epoch), tz=UTC), fingerprint


def sla_view(config: SlaConfig, clock: SlaClock, now: datetime) -> SlaView:
    """Return what the contact shows of a clock at `now`."""
    target = config.target_by_id(clock.sla_target)
    points = at_risk_points(config, target, clock.sla_clock_at, clock.sla_due_at)  # the stored due time counts
    status = sla_status(points, clock.first_touch_at, now)
    minutes = None
    if clock.first_touch_at is not None and target is not None:
        minutes = business_minutes_between(target.calendar, clock.sla_clock_at, clock.first_touch_at)
    return SlaView(status, clock.sla_due_at, clock.first_touch_at, minutes)
