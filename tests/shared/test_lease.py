"""The lease on FerretDB: one holder at a time, even when many contend for a stale lease."""

from __future__ import annotations

import threading

import pytest

from lianxin.lease import LeaseBusy, Leases

pytestmark = pytest.mark.integration


def contend(count: int, attempt) -> list:
    """Run `attempt` in `count` threads released at the same instant; return what each got."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = attempt()
        except LeaseBusy as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_a_held_lease_is_busy_until_released(test_db):
    leases = Leases(test_db["leases"], ttl_seconds=10)
    lease = leases.try_acquire("cases:A")
    with pytest.raises(LeaseBusy):
        leases.try_acquire("cases:A")
    leases.release(lease)
    assert leases.try_acquire("cases:A").token != lease.token


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_release_it(test_db):
    now = [1000.0]
    leases = Leases(test_db["leases"], ttl_seconds=10, clock=lambda: now[0])
    old = leases.try_acquire("cases:B")
    with pytest.raises(LeaseBusy):
        leases.try_acquire("cases:B")
    now[0] += 10.5
    new = leases.try_acquire("cases:B")
    leases.release(old)  # a holder that overran its lease
    assert test_db["leases"].find_one({"_id": "cases:B"})["token"] == new.token
    leases.release(new)
    assert test_db["leases"].count_documents({}) == 0


@pytest.mark.parametrize("round_", range(5))
def test_only_one_of_many_contenders_takes_a_free_lease(test_db, round_):
    leases = Leases(test_db["leases"], ttl_seconds=10)
    results = contend(16, lambda: leases.try_acquire("cases:C"))
    winners = [result for result in results if not isinstance(result, LeaseBusy)]
    assert len(winners) == 1


@pytest.mark.parametrize("round_", range(5))
def test_only_one_of_many_contenders_takes_over_a_stale_lease(test_db, round_):
    leases = Leases(test_db["leases"], ttl_seconds=10)
    test_db["leases"].insert_one({"_id": "cases:D", "token": "crashed", "expires_at": 0.0})
    results = contend(16, lambda: leases.try_acquire("cases:D"))
    winners = [result for result in results if not isinstance(result, LeaseBusy)]
    assert len(winners) == 1
    assert test_db["leases"].find_one({"_id": "cases:D"})["token"] == winners[0].token


def test_a_claim_left_by_a_crashed_taker_is_itself_taken_over(test_db):
    leases = Leases(test_db["leases"], ttl_seconds=10)
    test_db["leases"].insert_many(
        [
            {"_id": "cases:E", "token": "crashed", "expires_at": 0.0},
            {"_id": "cases:E>crashed", "token": "taker-crashed-too", "expires_at": 0.0},
        ]
    )
    lease = leases.try_acquire("cases:E")
    assert test_db["leases"].find_one({"_id": "cases:E"})["token"] == lease.token
    leases.release(lease)
    assert test_db["leases"].count_documents({}) == 0


def test_stale_lists_abandoned_leases_but_not_live_ones_or_claims(test_db):
    leases = Leases(test_db["leases"], ttl_seconds=10)
    live = leases.try_acquire("cases:F", collection="cases", aggregate_id="F")
    abandoned = leases.try_acquire("cases:G", collection="cases", aggregate_id="G")
    leases.abandon(abandoned)
    test_db["leases"].insert_one(
        {"_id": "cases:H>x", "token": "t", "expires_at": 0.0, "collection": "cases"}
    )
    assert [doc["_id"] for doc in leases.stale(collection="cases")] == ["cases:G"]
    leases.release(live)
