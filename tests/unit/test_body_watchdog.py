"""The body deadlines' one watchdog thread: each action runs when its deadline passes, in order, unless cancelled."""

from __future__ import annotations

import threading
import time

from app.serving.body import WATCHDOG


def test_deadlines_fire_in_order_and_a_cancelled_one_never_does() -> None:
    fired: list[str] = []
    done = threading.Event()
    now = time.monotonic()
    WATCHDOG.watch(now + 0.2, lambda: (fired.append("late"), done.set()))
    WATCHDOG.watch(now + 0.05, lambda: fired.append("early"))
    cancel = WATCHDOG.watch(now + 0.1, lambda: fired.append("cancelled"))
    cancel()
    assert done.wait(5)
    assert fired == ["early", "late"]
    threads = [t for t in threading.enumerate() if t.name == "leadflow-body-deadlines"]
    assert len(threads) == 1  # one thread for every deadline, not one per request
