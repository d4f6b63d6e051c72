"""Pacing: the earliest moment another offer keeps the cap, the gap and the quiet hours, and why it is not now."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from app.rules.nurture.policy import Pacing, QuietHours
from app.rules.values import as_utc


def pace(pacing: Pacing, offered: Iterable[datetime], now: datetime) -> tuple[datetime, tuple[str, ...]]:
    """Return the first moment from `now` at which an offer keeps the pacing, with the reasons it is later."""
    times = sorted(as_utc(moment) for moment in offered)
    at, why = as_utc(now), []
    if len(times) >= pacing.max_touches:
        leaves = times[-pacing.max_touches] + pacing.window  # the oldest offer that counts leaves the window
        if leaves > at:
            at = leaves
            why.append(f"cap: {pacing.max_touches} offers in {_days(pacing.window)}; the next when the offer of "
                       f"{_stamp(times[-pacing.max_touches])} leaves the window, {_stamp(leaves)}")  # fmt: skip
    if times and times[-1] + pacing.min_gap > at:
        at = times[-1] + pacing.min_gap
        why.append(f"gap: at least {_days(pacing.min_gap)} after the last offer ({_stamp(times[-1])}), {_stamp(at)}")
    if pacing.quiet_hours is not None and (after := leave_quiet_hours(pacing.quiet_hours, at)) != at:
        why.append(f"quiet hours: {_stamp(at)} is in {_quiet_text(pacing.quiet_hours)}; {_stamp(after)}")
        at = after
    return at, tuple(why)


def leave_quiet_hours(quiet: QuietHours, moment: datetime) -> datetime:
    """Return `moment`, or the end of the quiet hours it lies in (local wall-clock time, DST-aware)."""
    moment = as_utc(moment)
    local = moment.astimezone(quiet.zone)
    if not quiet.holds(local.time()):
        return moment
    over_midnight = quiet.end <= quiet.start and local.time() >= quiet.start
    day = local.date() + timedelta(days=1) if over_midnight else local.date()
    # A wall-clock end skipped by a DST change reads as before the change: the first instant after the gap.
    end = datetime.combine(day, quiet.end).replace(tzinfo=quiet.zone).astimezone(UTC)
    return max(end, moment)


def _quiet_text(quiet: QuietHours) -> str:
    return f"the quiet hours {quiet.start:%H:%M}–{quiet.end:%H:%M} {quiet.zone.key}"


def _days(span: timedelta) -> str:
    days = span / timedelta(days=1)
    return f"{days:g} day" if days == 1 else f"{days:g} days"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
