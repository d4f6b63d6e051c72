"""Response times summed up: nearest-rank percentiles of business minutes."""

from __future__ import annotations

import pytest

from app.rules.sla.response import ResponseTimes, percentile, response_times


def test_a_percentile_is_the_nearest_rank_value() -> None:
    minutes = [30.0, 10.0, 20.0, 40.0]
    assert percentile(minutes, 50) == 20.0  # an even count: the lower middle
    assert percentile(minutes, 90) == 40.0
    assert percentile(minutes, 25) == 10.0
    assert percentile(minutes, 100) == 40.0
    assert percentile([7.0], 1) == 7.0
    assert percentile([], 50) is None


@pytest.mark.parametrize("percent", [0, -5, 100.5])
def test_a_percentile_outside_0_to_100_is_refused(percent: float) -> None:
    with pytest.raises(ValueError, match="above 0 and at most 100"):
        percentile([1.0], percent)


def test_response_times_count_the_median_and_the_90th_percentile() -> None:
    assert response_times([float(n) for n in range(1, 11)]) == ResponseTimes(10, 5.0, 9.0)
    assert response_times([]) == ResponseTimes(0, None, None)
