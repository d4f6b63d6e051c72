"""The worklist in a real Redis: dirty marks keep their first time, claims are exclusive and expire."""

from __future__ import annotations

import threading

import pytest
import redis

from app.worklist import Worklist


def worklist(client: redis.Redis, enqueued: list[str] | None = None) -> Worklist:
    sink = enqueued if enqueued is not None else []
    return Worklist(client, sink.append, prefix="test")


def test_a_contact_marked_twice_keeps_the_time_it_first_became_dirty(redis_client: redis.Redis) -> None:
    work = worklist(redis_client)
    work.mark_dirty(["1"], at=100.0)
    work.mark_dirty(["1", "2"], at=200.0)
    assert work.dirty_count() == 2
    assert work.oldest_dirty() == 100.0


def test_only_contacts_past_the_debounce_are_claimed(redis_client: redis.Redis) -> None:
    work = worklist(redis_client)
    work.mark_dirty(["old"], at=100.0)
    work.mark_dirty(["new"], at=109.5)
    assert work.claim(100, ready_before=109.0, now=110.0, lease_until=1000.0) == ["old"]
    assert work.dirty_count() == 1
    assert work.claimed_count() == 1


def test_a_claimed_contact_marked_dirty_again_waits_until_its_claim_is_released(redis_client: redis.Redis) -> None:
    work = worklist(redis_client)
    work.mark_dirty(["1"], at=100.0)
    assert work.claim(100, ready_before=200.0, now=200.0, lease_until=1000.0) == ["1"]
    work.mark_dirty(["1"], at=201.0)
    assert work.claim(100, ready_before=300.0, now=300.0, lease_until=1000.0) == []
    work.release(["1"])
    assert work.claim(100, ready_before=300.0, now=300.0, lease_until=1000.0) == ["1"]


def test_concurrent_drains_never_claim_the_same_contact(redis_client: redis.Redis) -> None:
    work = worklist(redis_client)
    work.mark_dirty([str(i) for i in range(1000)], at=1.0)
    claims: list[list[str]] = []

    def drain() -> None:
        while taken := work.claim(7, ready_before=10.0, now=10.0, lease_until=1000.0):
            claims.append(taken)

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [contact for claim in claims for contact in claim]
    assert len(every) == len(set(every)) == 1000


def test_an_expired_claim_goes_back_to_the_dirty_set(redis_client: redis.Redis) -> None:
    work = worklist(redis_client)
    work.mark_dirty(["1", "2"], at=1.0)
    work.claim(100, ready_before=10.0, now=10.0, lease_until=20.0)
    assert work.requeue_expired_claims(now=15.0) == 0
    assert work.requeue_expired_claims(now=25.0) == 2
    assert (work.dirty_count(), work.claimed_count()) == (2, 0)


def test_a_failed_drain_returns_its_contacts_to_the_dirty_set(redis_client: redis.Redis) -> None:
    work = worklist(redis_client)
    work.mark_dirty(["1"], at=1.0)
    claimed = work.claim(100, ready_before=10.0, now=10.0, lease_until=1000.0)
    work.return_to_dirty(claimed, at=11.0)
    assert (work.dirty_count(), work.claimed_count()) == (1, 0)


def test_a_claim_names_its_holder_until_it_is_released_expires_or_forgotten(redis_client: redis.Redis) -> None:
    work = worklist(redis_client)
    work.mark_dirty(["1", "2", "3"], at=1.0)
    assert sorted(work.claim(100, ready_before=10.0, now=10.0, lease_until=20.0, holder="j1@w1")) == ["1", "2", "3"]
    assert work.claim_ids(["4"], now=10.0, lease_until=20.0, holder="j2@w2") == ["4"]
    assert {holder: sorted(ids) for holder, ids in work.claims_by_holder().items()} == {
        "j1@w1": ["1", "2", "3"],
        "j2@w2": ["4"],
    }
    work.release(["1"], holder="j1@w1")
    work.forget(["2"])
    assert work.requeue_expired_claims(now=25.0) == 2
    assert work.claims_by_holder() == {}


def test_only_the_holder_of_a_claim_releases_it(redis_client: redis.Redis) -> None:
    work = worklist(redis_client)
    work.mark_dirty(["1"], at=1.0)
    work.claim(100, ready_before=10.0, now=10.0, lease_until=1000.0, holder="j2@w2")
    work.release(["1"], holder="j1@w1")
    work.release(["1"])
    assert work.return_to_dirty(["1"], at=11.0, holder="j1@w1") == 0
    assert (work.claimed_count(), work.dirty_count()) == (1, 0)
    assert work.return_to_dirty(["1"], at=11.0, holder="j2@w2") == 1
    assert (work.claimed_count(), work.dirty_count(), work.claims_by_holder()) == (0, 1, {})


def test_a_claim_taken_over_after_its_lease_belongs_to_the_new_drain(redis_client: redis.Redis) -> None:
    work = worklist(redis_client)
    work.mark_dirty(["1"], at=1.0)
    work.claim(100, ready_before=10.0, now=10.0, lease_until=20.0, holder="j1@w1")
    work.mark_dirty(["1"], at=21.0)
    assert work.claim(100, ready_before=30.0, now=30.0, lease_until=90.0) == ["1"]  # a drain outside a worker
    assert work.claims_by_holder() == {}
    work.release(["1"], holder="j1@w1")  # the first drain finishes late
    assert work.claimed_count() == 1


def test_at_most_one_job_of_a_kind_is_pending(redis_client: redis.Redis) -> None:
    enqueued: list[str] = []
    work = worklist(redis_client, enqueued)
    assert work.schedule("drain") is True
    assert work.schedule("drain") is False
    work.started("drain")
    assert work.schedule("drain") is True
    assert enqueued == ["drain", "drain"]


def test_a_failed_enqueue_leaves_no_pending_flag(redis_client: redis.Redis) -> None:
    def fail(_job: str) -> None:
        raise RuntimeError("queue down")

    work = Worklist(redis_client, fail, prefix="test")
    with pytest.raises(RuntimeError):
        work.schedule("drain")
    assert redis_client.get("test:pending:drain") is None


def test_forgetting_a_contact_removes_it_from_dirty_claimed_and_recheck(redis_client: redis.Redis) -> None:
    work = worklist(redis_client)
    work.mark_dirty(["1", "2"], at=1.0)
    work.claim(1, ready_before=10.0, now=10.0, lease_until=1000.0)
    work.recheck_later(["1", "3"], at=5.0)
    work.forget(["1", "2", "3"])
    assert (work.dirty_count(), work.claimed_count(), work.take_due_rechecks(100.0)) == (0, 0, [])


def test_webhook_event_counts_add_up(redis_client: redis.Redis) -> None:
    work = worklist(redis_client)
    work.count_events({"accepted:contact.creation": 2, "duplicate": 1})
    work.count_events({"accepted:contact.creation": 1})
    assert work.event_counts() == {"accepted:contact.creation": 3, "duplicate": 1}


def test_a_rescore_page_claims_named_contacts_and_leaves_their_dirty_marks(redis_client: redis.Redis) -> None:
    """claim_ids (a re-score page) takes what no live claim holds; a webhook's dirty mark waits for the release."""
    work = worklist(redis_client)
    work.mark_dirty(["1"], at=100.0)
    assert work.claim_ids(["1", "2"], now=100.0, lease_until=200.0) == ["1", "2"]
    assert work.claim_ids(["2", "3"], now=150.0, lease_until=250.0) == ["3"]
    assert work.claim_ids(["2"], now=201.0, lease_until=300.0) == ["2"], "an expired claim can be taken"
    assert work.claim_ids([], now=201.0, lease_until=300.0) == []
    assert work.claim(100, ready_before=180.0, now=180.0, lease_until=900.0) == [], "claimed: no drain takes it"
    work.release(["1", "2", "3"])
    assert work.claimed_count() == 0 and work.dirty_count() == 1
    assert work.claim(100, ready_before=250.0, now=250.0, lease_until=900.0) == ["1"]
