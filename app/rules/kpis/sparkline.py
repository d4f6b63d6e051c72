"""A sparkline: a small SVG line of a KPI's weekly values, with a `<title>` saying them. Pure.

A period without a value (a rate without a denominator) breaks the line; the last value has a dot.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH = 120
HEIGHT = 28
PAD = 3


def render_sparkline_svg(values: Sequence[float | None], title: str, labels: Sequence[str] = ()) -> str:
    """Return the values as a line in a small SVG (None breaks the line), titled with each value."""
    known = [value for value in values if value is not None]
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    span = (high - low) or 1.0
    step = (WIDTH - 2 * PAD) / max(1, len(values) - 1)
    points = [
        None if value is None else (PAD + index * step, HEIGHT - PAD - (value - low) / span * (HEIGHT - 2 * PAD))
        for index, value in enumerate(values)
    ]
    said = ", ".join(
        f"{labels[index] if index < len(labels) else index + 1}: {'–' if value is None else _number(value)}"
        for index, value in enumerate(values)
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}">',
        f"<title>{escape(title)}: {escape(said or 'no values')}</title>",
    ]
    parts += [
        f'<polyline fill="none" stroke="#3182bd" stroke-width="1.5" points="{_points(run)}"/>' for run in _runs(points)
    ]
    last = points[-1] if points else None
    if last is not None:
        parts.append(f'<circle cx="{last[0]:.1f}" cy="{last[1]:.1f}" r="2" fill="#3182bd"/>')
    parts.append("</svg>")
    return "".join(parts)


def _runs(points: Sequence[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """Return the unbroken runs of points; a lone point is drawn as a run of itself twice."""
    runs: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            runs.append([])
        else:
            runs[-1].append(point)
    return [run * 2 if len(run) == 1 else run for run in runs if run]


def _points(run: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in run)


def _number(value: float) -> str:
    return f"{value:g}"
