"""The dashboard's pure drawings: the funnel and the sparklines are valid SVG, say their numbers, escape text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from app.rules.kpis import compute_kpis, parse_facts, parse_instant
from app.rules.kpis.funnel_svg import FunnelStep, format_rate, funnel_steps, render_funnel_svg
from app.rules.kpis.sparkline import render_sparkline_svg

SVG = "{http://www.w3.org/2000/svg}"
FACTS = (Path(__file__).resolve().parents[2] / "fixtures" / "kpis" / "small_portal.jsonl").read_text()
STEPS = (FunnelStep("Lead", 120), FunnelStep("MQL", 40, 0.3333, 120), FunnelStep("SQL", 10, 0.25, 40),
         FunnelStep("accepted", 8, 0.8, 10), FunnelStep("deal", 5, 0.625, 8), FunnelStep("won", 0, 0.0, 5))  # fmt: skip


def test_the_funnel_is_valid_svg_with_a_title_and_a_bar_per_stage() -> None:
    root = ET.fromstring(render_funnel_svg(STEPS))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text is not None
    assert "Lead 120" in title.text and "MQL 40 (33.3 %)" in title.text and "won 0 (0.0 %)" in title.text
    stages = root.findall(f"{SVG}g")
    assert [(g.get("data-stage"), g.get("data-count")) for g in stages] == [
        ("Lead", "120"), ("MQL", "40"), ("SQL", "10"), ("accepted", "8"), ("deal", "5"), ("won", "0")
    ]  # fmt: skip


def test_the_funnel_writes_each_count_and_each_step_rate() -> None:
    root = ET.fromstring(render_funnel_svg(STEPS))
    counts = [t.text for t in root.iter(f"{SVG}tspan") if t.get("class") == "funnel-count"]
    assert counts == ["120", "40", "10", "8", "5", "0"]
    rates = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "funnel-rate"]
    assert rates == ["↓ 33.3 %", "↓ 25.0 %", "↓ 80.0 %", "↓ 62.5 %", "↓ 0.0 %"]


def test_the_funnel_bars_shrink_with_their_counts_and_a_zero_keeps_a_sliver() -> None:
    root = ET.fromstring(render_funnel_svg(STEPS))
    widths = [float(rect.get("width", "0")) for rect in root.iter(f"{SVG}rect")]
    assert widths == sorted(widths, reverse=True) and widths[-1] > 0


def test_the_funnel_escapes_its_labels_and_title() -> None:
    text = render_funnel_svg((FunnelStep('<script>"x"&', 3),), title="A & B <c>")
    root = ET.fromstring(text)  # still well-formed
    assert "<script>" not in text
    assert root.find(f"{SVG}title").text.startswith("A & B <c>: <script>")  # type: ignore[union-attr]


def test_a_rate_without_a_denominator_is_a_dash() -> None:
    assert format_rate(None) == "–"
    root = ET.fromstring(render_funnel_svg((FunnelStep("Lead", 0), FunnelStep("MQL", 0, None, 0))))
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "funnel-rate"] == ["↓ –"]


def test_the_funnel_steps_are_the_reports_counts_and_contract_rates() -> None:
    report = compute_kpis(parse_facts(FACTS), parse_instant("2026-11-01"), parse_instant("2026-12-01"),
                          parse_instant("2026-12-10"))  # fmt: skip
    steps = funnel_steps(report)
    assert [(s.label, s.count) for s in steps] == [
        ("Lead", 5), ("MQL", 5), ("SQL", 2), ("accepted", 2), ("deal", 2), ("won", 1)
    ]  # fmt: skip
    assert [s.rate for s in steps] == [None, 0.6, 0.4, 1.0, 1.0, 0.5]
    assert [s.rate_n for s in steps] == [None, 5, 5, 2, 2, 2]


def test_the_empty_funnel_draws() -> None:
    report = compute_kpis([], datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC),
                          datetime(2026, 2, 1, tzinfo=UTC))  # fmt: skip
    root = ET.fromstring(render_funnel_svg(funnel_steps(report)))
    assert len(root.findall(f"{SVG}g")) == 6


def test_a_sparkline_is_valid_svg_titled_with_its_values() -> None:
    root = ET.fromstring(render_sparkline_svg([0.5, 0.25, 0.75], "Win by week", ["w1", "w2", "w3"]))
    assert root.find(f"{SVG}title").text == "Win by week: w1: 0.5, w2: 0.25, w3: 0.75"  # type: ignore[union-attr]
    points = root.find(f"{SVG}polyline").get("points", "").split()  # type: ignore[union-attr]
    assert len(points) == 3
    ys = [float(point.split(",")[1]) for point in points]
    assert ys[2] < ys[0] < ys[1]  # higher values are drawn higher (smaller y)


def test_a_missing_value_breaks_the_sparkline() -> None:
    root = ET.fromstring(render_sparkline_svg([0.1, None, 0.3, 0.4], "Win"))
    assert len(root.findall(f"{SVG}polyline")) == 2
    assert "2: –" in root.find(f"{SVG}title").text  # type: ignore[union-attr, operator]


def test_a_sparkline_of_nothing_draws_and_escapes() -> None:
    text = render_sparkline_svg([], "<b>&")
    root = ET.fromstring(text)
    assert root.find(f"{SVG}title").text == "<b>&: no values"  # type: ignore[union-attr]
    assert root.findall(f"{SVG}polyline") == []
