"""The dashboard's kept values (app/dashboard/sources.py `Expiring`): read once per TTL, an old value served while a
background thread reads the new one, a failed read served from the kept value, and the warm-up at start."""

from __future__ import annotations

import threading

import pytest

from app.dashboard.sources import Expiring


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Reads:
    """A read that counts its calls, answers 1, 2, 3 …, and can be made to fail or to wait."""

    def __init__(self) -> None:
        self.calls = 0
        self.fail = False
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self) -> int:
        self.gate.wait(5)
        self.calls += 1
        if self.fail:
            raise RuntimeError("the ledger is away")
        return self.calls


def test_a_value_is_read_once_per_ttl() -> None:
    clock, reads = Clock(), Reads()
    kept = Expiring(reads, 60, clock, background=False)
    assert (kept(), kept()) == (1, 1)
    clock.now = 61
    assert kept() == 2 and reads.calls == 2


def test_an_old_value_is_served_while_a_background_thread_reads_the_new_one() -> None:
    clock, reads = Clock(), Reads()
    kept = Expiring(reads, 60, clock)
    assert kept() == 1
    clock.now = 61
    reads.gate.clear()  # the new read waits
    assert kept() == 1 and kept() == 1  # no caller waits, and one background read runs, not two
    reads.gate.set()
    for thread in [t for t in threading.enumerate() if t.name == "dashboard-refresh"]:
        thread.join(5)
    assert kept() == 2 and reads.calls == 2


def test_a_failed_read_serves_the_kept_value_and_without_one_raises() -> None:
    clock, reads = Clock(), Reads()
    kept = Expiring(reads, 60, clock, background=False)
    assert kept() == 1
    clock.now, reads.fail = 61, True
    assert kept() == 1
    empty = Expiring(reads, 60, clock, background=False)
    with pytest.raises(RuntimeError, match="the ledger is away"):
        empty()


def test_the_warm_up_reads_before_the_first_request_and_a_failed_one_is_read_again() -> None:
    clock, reads = Clock(), Reads()
    kept = Expiring(reads, 60, clock)
    kept.warm().join(5)
    assert reads.calls == 1 and kept() == 1 and reads.calls == 1
    failing = Reads()
    failing.fail = True
    cold = Expiring(failing, 60, clock)
    cold.warm().join(5)  # logged, not raised in the thread
    failing.fail = False
    assert cold() == 2  # the first request reads again


def test_a_read_that_finds_the_same_value_keeps_its_generation() -> None:
    clock, values = Clock(), iter([[1, 2], [1, 2], [1, 2, 3]])
    kept = Expiring(lambda: list(next(values)), 60, clock, background=False)
    first = kept()
    assert kept.generation == 1
    clock.now = 61
    assert kept() is first and kept.generation == 1  # unchanged: the pages computed from it stay good
    clock.now = 122
    assert kept() == [1, 2, 3] and kept.generation == 2
