"""The backtest's pages replayed by forked worker processes give the report of one process, pages in order."""

from __future__ import annotations

from functools import partial

from app.rules.calibration.backtest import Backtest
from app.rules.calibration.outcomes import Horizon
from app.sync.calibration.workers import InProcess, WorkerPool, page_replays
from tests.unit.rules.test_calibration_backtest import AS_OF, CURRENT, HANDOVER, INVERTED, WINDOW
from tests.unit.rules.test_calibration_merge import contacts


def test_worker_processes_give_the_report_of_one_process() -> None:
    make = partial(Backtest, CURRENT, INVERTED, WINDOW, HANDOVER, Horizon(AS_OF))
    every = contacts(80, seed=9)
    pages = [every[first : first + 6] for first in range(0, len(every), 6)]
    reports = {}
    for workers in (1, 2):
        with page_replays(make, workers) as replays:
            assert isinstance(replays, WorkerPool if workers > 1 else InProcess)
            for page in pages:
                replays.add(page)
            reports[workers] = replays.finish()
    assert reports[1].contacts == 80 and reports[1].earliest
    assert reports[2] == reports[1]
    assert [e.contact_id for e in reports[2].earliest] == sorted((e.contact_id for e in reports[2].earliest), key=int)
