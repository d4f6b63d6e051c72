"""`leadflow demo`: a simulated portal scored end to end; the same seed prints the same funnel."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from app.demo import run_demo


@contextmanager
def no_progress(_length: int, _label: str) -> Iterator[Callable[[int], None]]:
    yield lambda _steps: None


def demo_output(seed: int) -> list[str]:
    lines: list[str] = []
    run_demo(contacts=40, days=6, seed=seed, echo=lines.append, progress=no_progress)
    return lines


def reproducible_part(lines: list[str]) -> list[str]:
    end = next(index for index, line in enumerate(lines) if line.startswith("\nThis run"))
    return lines[1:end]  # the first line names the run's Redis, the last part depends on timing


def test_the_demo_scores_a_simulated_portal_and_prints_its_funnel() -> None:
    lines = demo_output(seed=3)
    text = "\n".join(lines)
    for heading in ("Funnel (40 contacts)", "Grades", "Ten most common reasons", "Score history", "HubSpot requests"):
        assert heading in text
    assert "webhook-to-score latency: p50" in text
    stage_rows = [line.split() for line in lines if line.strip().split(" ")[0] in ("sql", "mql", "—")]
    assert sum(int(row[1]) for row in stage_rows[:3]) == 40


def test_the_same_seed_prints_the_same_funnel_and_another_seed_does_not() -> None:
    first, second, other = demo_output(seed=5), demo_output(seed=5), demo_output(seed=6)
    assert reproducible_part(first) == reproducible_part(second)
    assert reproducible_part(first) != reproducible_part(other)
