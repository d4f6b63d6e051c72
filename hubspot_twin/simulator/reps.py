"""How fast each simulated rep answers a lead: a response profile per rep, and the rep's working hours.

Every rep gets a profile, the same for the same seed: most are fast (the first touch within half an hour to four
working hours of getting the lead), some slow (eight to forty working hours), and one field rep is on holiday
for a stretch of the simulation (touching nothing then; the leads routed to them wait). Reps work Monday to
Friday, 09:00-17:00 in Berlin, the office hours of the portal's SLA calendar: a delay counts only working time.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hubspot_twin.simulator.portal import SimOwner

OFFICE = ZoneInfo("Europe/Berlin")
OPENS, CLOSES = time(9), time(17)
FAST_HOURS = (0.5, 4.0)
SLOW_HOURS = (8.0, 40.0)
SLOW_REPS = 2  # of the field reps (the holiday rep is fast when back)
FIELD_TEAMS = ("DACH", "International")  # the teams whose reps are handed leads (config/routing.yaml)
HOLIDAY_DAYS = 14  # the longest holiday: half the run, two weeks at most
CALLS = 0.6  # the share of first touches that are calls; the others are sales e-mails
CALL_TITLES = ("Intro call", "Discovery call", "Follow-up on your download")
EMAIL_SUBJECTS = ("Your request", "Following up", "A quick question about your plans")


@dataclass(frozen=True)
class RepProfile:
    """One rep's pace: working hours from getting a lead to its first touch, and a stretch away (or none)."""

    owner_id: str
    pace: str  # "fast" or "slow"
    touch_hours: tuple[float, float]
    away: tuple[datetime, datetime] | None = None

    def back_at(self, moment: datetime) -> datetime:
        """Return when the rep can act on something seen at `moment`: then, or when back from holiday."""
        if self.away is not None and self.away[0] <= moment < self.away[1]:
            return self.away[1]
        return moment

    def is_away(self, moment: datetime) -> bool:
        return self.away is not None and self.away[0] <= moment < self.away[1]


def rep_profiles(
    owners: Sequence[SimOwner], seed: int, holiday: tuple[datetime, int] | None = None
) -> dict[str, RepProfile]:
    """Return each owner's profile, the same for the same seed: two field reps slow, the others fast, and with
    `holiday` (the simulation's start and days) one other field rep away for half of it (at least two days, at
    most two weeks), from a day within its first third."""
    rng = random.Random(f"{seed}:reps")
    field = [owner.id for owner in owners if owner.team in FIELD_TEAMS]
    rng.shuffle(field)
    slow, on_holiday = set(field[1 : 1 + SLOW_REPS]), field[0] if field else None
    away: tuple[datetime, datetime] | None = None
    if holiday is not None and field:
        start, days = holiday
        first = start + timedelta(days=rng.randint(0, max(0, days // 3)))
        away = (first, first + timedelta(days=max(2, min(days // 2, HOLIDAY_DAYS))))
    profiles = {}
    for owner in owners:
        pace = "slow" if owner.id in slow else "fast"
        hours = SLOW_HOURS if pace == "slow" else FAST_HOURS
        profiles[owner.id] = RepProfile(owner.id, pace, hours, away if owner.id == on_holiday else None)
    return profiles


def log_entry(rng: random.Random, owner_id: str, at: datetime) -> tuple[str, dict[str, str]]:
    """Return the object type and properties of a rep's first touch at `at`: a call (most often) or a sales
    e-mail, owned by the rep and dated when the rep made it (`hs_timestamp`), as HubSpot's UI logs them."""
    stamp = {"hubspot_owner_id": owner_id, "hs_timestamp": str(int(at.timestamp() * 1000))}
    if rng.random() < CALLS:
        return "calls", {**stamp, "hs_call_title": rng.choice(CALL_TITLES), "hs_call_direction": "OUTBOUND",
                         "hs_call_status": "COMPLETED"}  # fmt: skip
    return "emails", {**stamp, "hs_email_direction": "EMAIL", "hs_email_status": "SENT",
                      "hs_email_subject": rng.choice(EMAIL_SUBJECTS)}  # fmt: skip


def after_working_hours(start: datetime, hours: float) -> datetime:
    """Return the instant `hours` of working time (Mon-Fri 09:00-17:00 Berlin) after `start` (aware, UTC out)."""
    left = timedelta(hours=hours)
    local = start.astimezone(OFFICE)
    while True:
        opens = datetime.combine(local.date(), OPENS, OFFICE)
        closes = datetime.combine(local.date(), CLOSES, OFFICE)
        if local.weekday() < 5 and local < closes:
            begin = max(local, opens)
            if begin + left <= closes:
                return (begin + left).astimezone(UTC)
            left -= closes - begin
        local = datetime.combine(local.date() + timedelta(days=1), time(0), OFFICE)
