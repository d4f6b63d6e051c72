"""The backtest's pages replayed by forked worker processes give the report of one process, pages in order."""

from __future__ import annotations

import signal
import subprocess
import sys
from functools import partial
from pathlib import Path

from app.rules.calibration.backtest import Backtest
from app.rules.calibration.outcomes import Horizon
from app.sync.calibration.workers import InProcess, WorkerPool, page_replays
from tests.unit.rules.test_calibration_backtest import AS_OF, CURRENT, HANDOVER, INVERTED, WINDOW
from tests.unit.rules.test_calibration_merge import contacts

ROOT = Path(__file__).resolve().parents[3]


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


def test_a_worker_ends_on_sigterm_whatever_handler_its_parent_installed() -> None:
    # An RQ worker in the parent installs a SIGTERM handler that only asks to stop; forked workers used to inherit it,
    # so the pool's terminate() could wait on one for ever (seen under pytest-xdist). A worker's SIGTERM is the default
    # again and its SIGINT ignored. In a child process, whose handlers are its own.
    script = """
import signal
from functools import partial
from app.rules.calibration.backtest import Backtest
from app.rules.calibration.outcomes import Horizon
from app.sync.calibration.workers import page_replays
from tests.unit.rules.test_calibration_backtest import AS_OF, CURRENT, HANDOVER, INVERTED, WINDOW
from tests.unit.rules.test_calibration_merge import contacts
signal.signal(signal.SIGTERM, lambda signum, frame: None)
def handlers():
    return [str(signal.getsignal(signum)) for signum in (signal.SIGTERM, signal.SIGINT)]
make = partial(Backtest, CURRENT, INVERTED, WINDOW, HANDOVER, Horizon(AS_OF))
with page_replays(make, 2) as replays:
    replays.add(contacts(12, seed=3))
    print(replays.finish().contacts)
    print(*replays.pool.apply(handlers))
"""
    run = [sys.executable, "-c", script]
    done = subprocess.run(run, capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)
    assert (done.returncode, done.stdout.split()) == (0, ["12", str(signal.SIG_DFL), str(signal.SIG_IGN)]), done.stderr
