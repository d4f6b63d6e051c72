"""Replaying the backtest's pages: in this process, or in forked worker processes while this one reads on.

The replay is CPU work (about a millisecond or two per contact and model) and the reads wait on HubSpot, so with
`workers` > 1 each page read is handed to a pool of forked processes, each replaying it into a report of its
own; at most `PAGES_AHEAD` pages per worker are in flight (memory stays bounded), and their reports are added
into the whole in page order (app/rules/calibration/merge.py), so the result equals one process's.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.pool import AsyncResult
from typing import Protocol

from app.rules.calibration.backtest import Backtest, BacktestReport
from app.rules.calibration.merge import add_report
from app.rules.calibration.replay import ReplayContact
from app.rules.kpis.facts import LeadCycle

PAGES_AHEAD = 2  # pages per worker handed over and not yet added up
MAX_WORKERS = 8
Page = Sequence[tuple[ReplayContact, Sequence[LeadCycle]]]  # contacts with their lead cycles in reality


class PageReplays(Protocol):
    report: BacktestReport

    def add(self, page: Page) -> None: ...

    def finish(self) -> BacktestReport: ...


class InProcess:
    """Pages replayed one after the other in this process."""

    def __init__(self, make: Callable[[], Backtest]) -> None:
        self.run = make()
        self.report = self.run.report

    def add(self, page: Page) -> None:
        """Replay a page's contacts."""
        for contact, cycles in page:
            self.run.add(contact, cycles)

    def finish(self) -> BacktestReport:
        """Return the report of every page added."""
        return self.report


class WorkerPool:
    """Pages replayed by forked worker processes, each into a report added to the whole in page order."""

    def __init__(self, make: Callable[[], Backtest], workers: int) -> None:
        self.report = make().report
        self.ahead = PAGES_AHEAD * workers
        self.pool = multiprocessing.get_context("fork").Pool(workers, _start_worker, (make,))
        self.pending: deque[AsyncResult[BacktestReport]] = deque()

    def add(self, page: Page) -> None:
        """Hand a page to the workers; add up the oldest pages' reports while too many are in flight."""
        self.pending.append(self.pool.apply_async(_replay_page, (page,)))
        while len(self.pending) > self.ahead:
            add_report(self.report, self.pending.popleft().get())

    def finish(self) -> BacktestReport:
        """Wait for every page handed over and return the whole report."""
        while self.pending:
            add_report(self.report, self.pending.popleft().get())
        return self.report


def available_workers() -> int:
    """The worker processes a backtest uses: one per core, at most MAX_WORKERS."""
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


@contextmanager
def page_replays(make: Callable[[], Backtest], workers: int) -> Iterator[PageReplays]:
    """Yield what replays the pages: this process (`workers` ≤ 1) or a pool of forked workers, ended after."""
    if workers <= 1:
        yield InProcess(make)
        return
    replays = WorkerPool(make, workers)
    try:
        yield replays
    finally:
        replays.pool.terminate()  # every result was collected by `finish`, or an error ends the run
        replays.pool.join()


_worker: dict[str, Callable[[], Backtest]] = {}  # a worker's backtest, inherited by fork (models are not pickled)


def _start_worker(make: Callable[[], Backtest]) -> None:
    # A forked worker inherits its parent's signal handlers: an RQ worker's, say, turn SIGTERM into a stop request
    # that never comes, and the pool's terminate() would wait on the worker for ever. SIGTERM ends a worker; SIGINT
    # (Ctrl-C reaches the whole process group) is the parent's to handle, which then terminates the pool.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker["make"] = make


def _replay_page(page: Page) -> BacktestReport:
    run = _worker["make"]()
    for contact, cycles in page:
        run.add(contact, cycles)
    return run.report
