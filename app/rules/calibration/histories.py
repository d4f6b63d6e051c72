"""An object's property values over time, from HubSpot's property histories (pure).

`versions_of` turns the histories of the properties a backtest reads into `Versions`: a new version at every moment
one of them took a value. A property HubSpot keeps no history of, but has a value today, is used with today's value
as if it had always held — and the result is flagged `todays`, so the report can say how many contacts it concerns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from app.rules.calibration.replay import Version, Versions
from app.rules.scoring.recall import PropertyVersion
from app.rules.values import as_utc


def versions_of(
    names: Sequence[str],
    current: Mapping[str, str | None],
    history: Mapping[str, Sequence[PropertyVersion]],
    since: datetime | None = None,
) -> Versions:
    """The values of `names` over time: from the histories where HubSpot has them, else today's (`current`) from
    `since` (the object's creation; None: always), flagged."""
    todays = {name: value for name in names if not history.get(name) and (value := current.get(name)) is not None}
    dated = {
        name: sorted(((as_utc(v.timestamp), v.value) for v in history[name]), key=lambda pair: pair[0])
        for name in names
        if history.get(name)
    }
    if not dated:
        return Versions.today(todays, since)
    moments = sorted({moment for versions in dated.values() for moment, _ in versions})
    first = [] if since is None or since >= moments[0] else [Version(since, dict(todays))]
    versions = [Version(moment, _values_at(dated, todays, moment)) for moment in moments]
    if since is None and todays:
        first = [Version(None, dict(todays))]
    return Versions(tuple([*first, *versions]), todays=bool(todays))


def _values_at(
    dated: Mapping[str, Sequence[tuple[datetime, str | None]]], todays: Mapping[str, str], moment: datetime
) -> dict[str, object]:
    values: dict[str, object] = dict(todays)
    for name, versions in dated.items():
        held = [value for at, value in versions if at <= moment]
        if held and held[-1] is not None and held[-1] != "":
            values[name] = held[-1]
    return values
