"""Scoring model versions in the ledger (SQLite and PostgreSQL): recorded once per name whatever concurrent
publishers do, read back oldest first with their text, diff and source, and the re-score run noted later."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from app.ledger.database import create_ledger_engine
from app.ledger.store import Ledger
from app.rules.scoring.versions import PublishedVersion, content_hash

AT = datetime(2026, 12, 1, 9, 0, 0, 123456, tzinfo=UTC)
TEXT = "model: m1\nfit:\n  limit: 100\n"


def version(name: str, text: str = TEXT, days: int = 0, diff: str = "") -> PublishedVersion:
    at = AT + timedelta(days=days)
    return PublishedVersion(name, content_hash(text, "scoring.yaml"), text, at, diff, "/srv/config/scoring.yaml")


def test_versions_are_read_back_oldest_first_as_recorded(ledger: Ledger) -> None:
    assert ledger.models.published() == []
    second = version("m2", TEXT.replace("100", "90"), days=3, diff="--- a\n+++ b\n-  limit: 100\n+  limit: 90\n")
    assert ledger.models.record(second)
    assert ledger.models.record(version("m1"))
    assert ledger.models.published() == [version("m1"), second]
    assert ledger.models.published()[0].published_at.tzinfo == UTC


def test_a_name_is_recorded_once_and_the_first_record_stays(ledger: Ledger) -> None:
    assert ledger.models.record(version("m1"))
    assert not ledger.models.record(version("m1", TEXT.replace("100", "80"), days=1))
    assert ledger.models.published() == [version("m1")]


def test_the_rescore_run_is_noted_on_its_version(ledger: Ledger) -> None:
    ledger.models.record(version("m1"))
    ledger.models.record(version("m2", days=1))
    ledger.models.record_rescore_run("m2", "3f2a9c1b7d0e")
    runs = {found.version: found.rescore_run for found in ledger.models.published()}
    assert runs == {"m1": None, "m2": "3f2a9c1b7d0e"}


def test_two_publishers_of_one_name_record_it_once(ledger_url: str) -> None:
    engines = [create_ledger_engine(ledger_url) for _ in range(2)]
    recorded: list[bool] = []
    barrier = threading.Barrier(2)

    def publish(index: int) -> None:
        barrier.wait()
        recorded.append(Ledger(engines[index]).models.record(version("m1", days=index)))

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    try:
        assert sorted(recorded) == [False, True]
        assert [found.version for found in Ledger(engines[0]).models.published()] == ["m1"]
    finally:
        for engine in engines:
            engine.dispose()
