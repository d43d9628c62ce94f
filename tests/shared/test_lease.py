"""The lease: one holder at a time, even when many contend for a stale lease, on every
backend (tests/backends.py); and FerretDB's release shortcut, on FerretDB."""

from __future__ import annotations

import threading

import pytest

from lianxin.store.engine import FERRETDB, ConditionalWrites
from lianxin.store.lease import HELD_MARGIN, LeaseBusy, Leases
from tests.backends import Backend
from tests.shared.conftest import CountedReads


def leases_of(backend: Backend, **options) -> Leases:
    return Leases(backend.database["leases"], ConditionalWrites(backend.engine), **options)


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


def test_a_held_lease_is_busy_until_released(backend):
    leases = leases_of(backend, ttl_seconds=10)
    lease = leases.try_acquire("cases:A")
    with pytest.raises(LeaseBusy):
        leases.try_acquire("cases:A")
    leases.release(lease)
    assert leases.try_acquire("cases:A").token != lease.token


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_release_it(backend, clock):
    db = backend.database
    leases = leases_of(backend, ttl_seconds=10, clock=clock)
    old = leases.try_acquire("cases:B")
    with pytest.raises(LeaseBusy):
        leases.try_acquire("cases:B")
    clock.advance(10.5)
    new = leases.try_acquire("cases:B")
    assert new.taken_over and new.stale_token == old.token
    leases.release(old)  # a holder that overran its lease
    leases.abandon(old)
    assert db["leases"].find_one({"_id": "cases:B"})["token"] == new.token
    assert db["leases"].find_one({"_id": "cases:B"})["expires_at"] > clock()
    leases.release(new)
    assert db["leases"].count_documents({}) == 0


@pytest.mark.parametrize("round_", range(5))
def test_only_one_of_many_contenders_takes_a_free_lease(backend, round_):
    leases = leases_of(backend, ttl_seconds=10)
    results = contend(16, lambda: leases.try_acquire("cases:C"))
    winners = [result for result in results if not isinstance(result, LeaseBusy)]
    assert len(winners) == 1


@pytest.mark.parametrize("round_", range(5))
def test_only_one_of_many_contenders_takes_over_a_stale_lease(backend, round_):
    db = backend.database
    leases = leases_of(backend, ttl_seconds=10)
    db["leases"].insert_one({"_id": "cases:D", "token": "crashed", "expires_at": 0.0})
    results = contend(16, lambda: leases.try_acquire("cases:D"))
    winners = [result for result in results if not isinstance(result, LeaseBusy)]
    assert len(winners) == 1
    assert db["leases"].find_one({"_id": "cases:D"})["token"] == winners[0].token


def test_a_claim_left_by_a_crashed_taker_is_itself_taken_over(backend):
    db = backend.database
    leases = leases_of(backend, ttl_seconds=10)
    db["leases"].insert_many(
        [
            {"_id": "cases:E", "token": "crashed", "expires_at": 0.0},
            {"_id": "cases:E>crashed", "token": "taker-crashed-too", "expires_at": 0.0},
        ]
    )
    lease = leases.try_acquire("cases:E")
    assert db["leases"].find_one({"_id": "cases:E"})["token"] == lease.token
    leases.release(lease)
    assert db["leases"].count_documents({}) == 0


def test_stale_lists_abandoned_leases_but_not_live_ones_or_claims(backend):
    db = backend.database
    leases = leases_of(backend, ttl_seconds=10)
    live = leases.try_acquire("cases:F", collection="cases", aggregate_id="F")
    abandoned = leases.try_acquire("cases:G", collection="cases", aggregate_id="G")
    leases.abandon(abandoned)
    db["leases"].insert_one(
        {"_id": "cases:H>x", "token": "t", "expires_at": 0.0, "collection": "cases"}
    )
    assert [doc["_id"] for doc in leases.stale(collection="cases")] == ["cases:G"]
    leases.release(live)


def test_claims_left_by_crashed_takers_are_forgotten_once_their_takeover_is_over(backend):
    db = backend.database
    leases = leases_of(backend, ttl_seconds=10)
    live = leases.try_acquire("cases:J", collection="cases", aggregate_id="J")
    db["leases"].insert_many(
        [  # a taker of J's earlier stale lease crashed after replacing it: its claim stays
            {"_id": "cases:J>old", "token": "c1", "expires_at": 0.0, "collection": "cases"},
            # a claim still guarding a takeover in progress must stay
            {"_id": "cases:K", "token": "stale", "expires_at": 0.0, "collection": "cases"},
            {"_id": "cases:K>stale", "token": "c2", "expires_at": 0.0, "collection": "cases"},
        ]
    )
    assert leases.forget_spent_claims(collection="cases") == 1
    remaining = sorted(doc["_id"] for doc in db["leases"].find())
    assert remaining == ["cases:J", "cases:K", "cases:K>stale"]
    leases.release(live)


@pytest.mark.integration
def test_on_ferretdb_a_release_with_time_to_spare_reads_nothing_and_one_near_expiry_reads_the_token(
    test_db, clock
):
    collection = CountedReads(test_db["leases"])
    leases = Leases(collection, ConditionalWrites(FERRETDB), ttl_seconds=10, clock=clock)
    early = leases.try_acquire("cases:L")
    leases.release(early)
    assert collection.reads == 0
    late = leases.try_acquire("cases:L")
    clock.advance(10 * (1 - HELD_MARGIN) + 0.5)  # still held, but nearly over
    leases.release(late)
    assert collection.reads == 1
    assert test_db["leases"].count_documents({}) == 0


@pytest.mark.integration
def test_a_holder_past_expiry_still_leaves_the_takers_lease_on_the_shortcut_engine(test_db, clock):
    leases = Leases(test_db["leases"], ConditionalWrites(FERRETDB), ttl_seconds=10, clock=clock)
    stale = leases.try_acquire("cases:M")
    clock.advance(10 * (1 - HELD_MARGIN) + 0.5)
    with pytest.raises(LeaseBusy):  # nearly over is not over: nobody takes it yet
        leases.try_acquire("cases:M")
    clock.advance(HELD_MARGIN * 10)
    taker = leases.try_acquire("cases:M")
    leases.release(stale)
    assert test_db["leases"].find_one({"_id": "cases:M"})["token"] == taker.token
    leases.release(taker)
