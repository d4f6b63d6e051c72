"""Adding up backtest reports of disjoint sets of contacts (pure): the shell replays pages in several processes.

`add_report(whole, part)` adds `part` into `whole` field by field, by the field's type — counts are summed,
per-week and per-pool counters added, per-contact lists extended (in the order the parts are added), outcome
counts summed — so a report over all the contacts equals the parts added in their order. What both must share
(the window, `as_of`, the models' names) is checked, never added.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import fields, is_dataclass
from typing import Any

from app.rules.calibration.backtest import BacktestReport


def add_report(whole: BacktestReport, part: BacktestReport) -> None:
    """Add the report of other contacts (same window, `as_of` and models) into `whole`."""
    _add(whole, part, "report")


def _add(into: Any, part: Any, where: str) -> None:
    for field in fields(into):
        name = f"{where}.{field.name}"
        mine, theirs = getattr(into, field.name), getattr(part, field.name)
        added = _sum(mine, theirs, name)
        if added is not mine:
            setattr(into, field.name, added)


def _sum(mine: Any, theirs: Any, where: str) -> Any:
    if isinstance(mine, Counter):
        mine.update(theirs)
        return mine
    if isinstance(mine, list):
        mine.extend(theirs)
        return mine
    if isinstance(mine, dict):
        for key, value in theirs.items():
            mine[key] = _sum(mine[key], value, f"{where}[{key}]") if key in mine else value
        return mine
    if isinstance(mine, int) and not isinstance(mine, bool):
        return mine + theirs
    if is_dataclass(mine) and not getattr(type(mine), "__dataclass_params__").frozen:  # noqa: B009
        _add(mine, theirs, where)
        return mine
    if mine != theirs:
        raise ValueError(f"backtest reports of different runs cannot be added: {where} is {mine!r} and {theirs!r}")
    return mine
