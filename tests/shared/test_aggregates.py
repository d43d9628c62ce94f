"""AggregateStore on FerretDB and RabbitMQ: no lost update, no lost event, nothing doubled.

The fencing tests stall writer A at each fault point, move the lease clock past
A's TTL, let writer B take the aggregate over and finish, then let A go on.
They run on both conditional-write paths (tests/shared/conftest.py).
"""

from __future__ import annotations

import threading

import pytest
from kombu import Connection, Exchange, Queue

from lianxin.bus.envelope import Envelope
from lianxin.bus.outbox import OutboxPublisher, leave_to_service
from lianxin.faults import armed
from lianxin.store.aggregates import FENCE, AggregateStore, LeaseExpired, LeaseLost, recover_all
from lianxin.store.engine import FERRETDB, ConditionalWrites
from lianxin.store.lease import HELD_MARGIN, Leases
from tests.shared.conftest import CountedReads, FakeClock, drain

pytestmark = pytest.mark.integration

TTL = 10.0


def counter_store(test_db, amqp_uri, service_name, writes, clock=None) -> AggregateStore:
    leases = Leases(test_db["leases"], writes, ttl_seconds=TTL, wait_seconds=30, **_clock(clock))
    return AggregateStore(
        test_db["counters"], leases, writes, OutboxPublisher(amqp_uri, service_name)
    )


def _clock(clock: FakeClock | None) -> dict:
    return {"clock": clock} if clock else {}


def increment(store: AggregateStore, aggregate_id: str) -> int:
    with store.change(aggregate_id) as change:
        value = (change.document or {}).get("value", 0) + 1
        event = Envelope("counter.incremented", {"value": value}, correlation_id="test")
        change.save({"_id": aggregate_id, "value": value}, [event])
    return value


def published_values(amqp_uri, queue) -> list[int]:
    return sorted(event["payload"]["value"] for event in drain(amqp_uri, queue))


def test_concurrent_commands_on_one_aggregate_lose_no_update_and_publish_each_event_once(
    test_db, amqp_uri, service_name, bound_queue, detected_writes
):
    store = counter_store(test_db, amqp_uri, service_name, detected_writes)
    threads, per_thread = 8, 15

    def work():
        for _ in range(per_thread):
            increment(store, "X")

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)

    assert test_db["counters"].find_one({"_id": "X"})["value"] == threads * per_thread
    assert published_values(amqp_uri, bound_queue) == list(range(1, threads * per_thread + 1))
    assert test_db["leases"].count_documents({}) == 0


def test_an_outbox_that_cannot_be_published_stays_and_is_published_by_recovery(
    test_db, amqp_uri, service_name, writes
):
    store = counter_store(test_db, amqp_uri, service_name, writes)
    increment(store, "Y")  # no queue bound yet: mandatory publish is refused

    document = test_db["counters"].find_one({"_id": "Y"})
    assert document["value"] == 1
    assert [event["type"] for event in document["outbox"]] == ["counter.incremented"]
    assert len(store._leases.stale(collection="counters")) == 1

    exchange = Exchange(f"{service_name}.events", type="topic", durable=True)
    queue = Queue(f"{service_name}-late", exchange, routing_key="counter.#", durable=False)
    with Connection(amqp_uri) as connection:
        queue(connection.channel()).declare()
    assert store.recover() == 1
    assert [event["payload"] for event in drain(amqp_uri, queue)] == [{"value": 1}]
    assert store._leases.stale(collection="counters") == []
    assert store.recover() == 0
    assert drain(amqp_uri, queue) == []  # a released lease means published: never again


class CountedFinds(CountedReads):
    """A collection that counts its `find` queries as well."""

    def __init__(self, collection):
        super().__init__(collection)
        self.finds = 0

    def find(self, *args, **kwargs):
        self.finds += 1
        return self._collection.find(*args, **kwargs)


def test_the_sweep_reads_the_leases_once_and_recovers_only_where_a_lease_was_left(
    test_db, amqp_uri, service_name, writes
):
    leases_collection = CountedFinds(test_db["leases"])
    leases = Leases(leases_collection, writes, ttl_seconds=TTL)
    publish = OutboxPublisher(amqp_uri, service_name)
    quiet, stuck = (
        AggregateStore(test_db[name], leases, writes, publish) for name in ("quiet", "stuck")
    )
    assert recover_all((quiet, stuck)) == 0
    assert leases_collection.finds == 1  # one look, not two per collection

    increment(quiet, "Q")  # no queue bound yet: both outboxes are refused and left behind
    increment(stuck, "S")
    test_db["leases"].delete_one({"_id": "quiet:Q"})  # as if quiet's had been published
    exchange = Exchange(f"{service_name}.events", type="topic", durable=True)
    queue = Queue(f"{service_name}-sweep", exchange, routing_key="counter.#", durable=False)
    with Connection(amqp_uri) as connection:
        queue(connection.channel()).declare()

    leases_collection.finds = 0
    assert recover_all((quiet, stuck)) == 1
    assert [event["payload"] for event in drain(amqp_uri, queue)] == [{"value": 1}]
    assert leases_collection.finds == 3  # the look, then stuck's stale leases and claims
    assert test_db["leases"].count_documents({}) == 0


def test_a_normal_release_means_the_next_writer_replaces_the_outbox_without_republishing(
    test_db, amqp_uri, service_name, bound_queue, writes
):
    store = counter_store(test_db, amqp_uri, service_name, writes)
    increment(store, "Z")
    increment(store, "Z")
    assert published_values(amqp_uri, bound_queue) == [1, 2]
    outbox = test_db["counters"].find_one({"_id": "Z"})["outbox"]
    assert [event["payload"]["value"] for event in outbox] == [2]


def stall_then(clock: FakeClock, takeover):
    """The fault action: A stalls past its TTL while B takes over and finishes."""

    def action():
        clock.advance(TTL + 1)
        takeover()

    return action


@pytest.fixture
def fenced(test_db, amqp_uri, service_name, bound_queue, writes, clock):
    store = counter_store(test_db, amqp_uri, service_name, writes, clock)
    store.seed = lambda: increment(store, "F")  # value 1, published, lease released
    return store


def test_a_writer_stalled_before_its_write_writes_nothing_after_a_takeover(
    fenced, test_db, amqp_uri, bound_queue, clock
):
    fenced.seed()
    b_increments = stall_then(clock, lambda: increment(fenced, "F"))
    with armed("aggregate.before_write", b_increments), pytest.raises(LeaseLost):
        increment(fenced, "F")  # A read 1 and would write 2 over B's 2
    assert test_db["counters"].find_one({"_id": "F"})["value"] == 2
    assert published_values(amqp_uri, bound_queue) == [1, 2]
    assert increment(fenced, "F") == 3  # A's caller retries: nothing was lost
    assert test_db["leases"].count_documents({}) == 0


def test_on_ferretdb_a_write_with_time_to_spare_reads_no_fence_and_one_near_expiry_does(
    test_db, amqp_uri, service_name, bound_queue, clock
):
    store = counter_store(test_db, amqp_uri, service_name, ConditionalWrites(FERRETDB), clock)
    counters = store.collection = CountedReads(store.collection)
    increment(store, "H")
    counters.reads = 0
    assert increment(store, "H") == 2
    assert counters.reads == 1  # the load; the write trusted the lease's time left
    counters.reads = 0
    nearly_over = lambda: clock.advance(TTL * (1 - HELD_MARGIN) + 0.5)  # noqa: E731
    with armed("aggregate.before_write", nearly_over):
        assert increment(store, "H") == 3
    assert counters.reads == 2  # the load and the fence: too near expiry to trust the clock
    assert published_values(amqp_uri, bound_queue) == [1, 2, 3]
    assert test_db["leases"].count_documents({}) == 0


def test_a_writer_stalled_after_load_sees_its_lease_expired_and_writes_nothing(
    fenced, test_db, amqp_uri, bound_queue, clock
):
    fenced.seed()
    b_increments = stall_then(clock, lambda: increment(fenced, "F"))
    with armed("aggregate.after_load", b_increments), pytest.raises(LeaseExpired):
        increment(fenced, "F")
    assert test_db["counters"].find_one({"_id": "F"})["value"] == 2
    assert published_values(amqp_uri, bound_queue) == [1, 2]
    assert test_db["leases"].count_documents({}) == 0


def test_a_writer_stalled_before_publishing_leaves_its_events_to_the_taker(
    fenced, test_db, amqp_uri, bound_queue, clock
):
    fenced.seed()
    with armed("outbox.before_publish", stall_then(clock, lambda: increment(fenced, "F"))):
        increment(fenced, "F")  # A wrote 2; B takes over, publishes A's 2, writes 3
    assert test_db["counters"].find_one({"_id": "F"})["value"] == 3
    assert published_values(amqp_uri, bound_queue) == [1, 2, 3]  # A did not publish again
    assert test_db["leases"].count_documents({}) == 0


def test_a_writer_stalled_after_publishing_releases_no_one_elses_lease(
    fenced, test_db, amqp_uri, bound_queue, clock, service_name
):
    fenced.seed()
    b_lease = {}

    def b_takes_over_and_holds():
        clock.advance(TTL + 1)
        b_lease["lease"] = fenced._leases.acquire("counters:F")

    with armed("outbox.after_publish", b_takes_over_and_holds):
        increment(fenced, "F")  # A wrote and published 2, then stalled before releasing
    held = test_db["leases"].find_one({"_id": "counters:F"})
    assert held["token"] == b_lease["lease"].token  # A's release left B's lease alone
    fenced._leases.release(b_lease["lease"])
    assert published_values(amqp_uri, bound_queue) == [1, 2]


def test_a_crash_between_publish_and_release_republishes_and_nothing_else(
    fenced, test_db, amqp_uri, bound_queue, clock
):
    fenced.seed()
    with armed("lease.before_release", stall_then(clock, lambda: fenced.recover())):
        increment(fenced, "F")
    # the sweeper took the lease over; A had written last, so its events went out again
    assert published_values(amqp_uri, bound_queue) == [1, 2, 2]
    assert test_db["counters"].find_one({"_id": "F"})["value"] == 2
    assert test_db["leases"].count_documents({}) == 0


def test_a_takeover_fences_even_a_document_that_does_not_exist_yet(
    fenced, test_db, amqp_uri, bound_queue, clock
):
    sweeper = stall_then(clock, lambda: fenced.recover())
    with armed("aggregate.before_write", sweeper), pytest.raises(LeaseLost):
        increment(fenced, "N")  # A would create N after the sweeper took its lease
    assert fenced.find("N") is None  # the fence marker the takeover left is not a document
    assert increment(fenced, "N") == 1
    assert published_values(amqp_uri, bound_queue) == [1]


def test_a_stale_holders_write_that_lands_before_the_fence_is_read_not_lost(
    test_db, amqp_uri, service_name, bound_queue, writes: ConditionalWrites, clock
):
    store = counter_store(test_db, amqp_uri, service_name, writes, clock)
    increment(store, "R")
    a = store._leases.acquire("counters:R")
    clock.advance(TTL + 1)
    stored = test_db["counters"].find_one({"_id": "R"})

    def a_writes_late():  # between B's read and B's fence rewrite
        seven = Envelope("counter.incremented", {"value": 7}, correlation_id="test")
        late = {**stored, "value": 7, "outbox": [seven.to_message()], FENCE: a.token}
        writes.replace_if(test_db["counters"], "R", FENCE, stored[FENCE], late)

    original_find = store.collection.find_one
    calls = {"n": 0}

    def find_one_then_race(*args, **kwargs):
        calls["n"] += 1
        result = original_find(*args, **kwargs)
        if calls["n"] == 1:
            a_writes_late()
        return result

    store.collection.find_one = find_one_then_race
    try:
        assert increment(store, "R") == 8  # B re-read after its fence rewrite failed
    finally:
        del store.collection.find_one
    assert published_values(amqp_uri, bound_queue) == [1, 7, 8]  # A's event was not lost


def test_create_stores_a_new_aggregate_once_and_a_later_change_builds_on_it(
    test_db, amqp_uri, service_name, bound_queue, writes
):
    store = counter_store(test_db, amqp_uri, service_name, writes)
    assert store.create("C", {"value": 5}) is True
    assert store.create("C", {"value": 9}) is False  # a redelivery: the first stays
    assert store.find("C") == {"_id": "C", "value": 5}
    assert increment(store, "C") == 6
    assert test_db["leases"].count_documents({}) == 0


def test_a_change_that_found_nothing_does_not_overwrite_an_aggregate_created_meanwhile(
    test_db, amqp_uri, service_name, bound_queue, writes
):
    store = counter_store(test_db, amqp_uri, service_name, writes)
    creates = lambda: store.create("D", {"value": 40})  # noqa: E731
    with armed("aggregate.after_load", creates), pytest.raises(LeaseLost):
        increment(store, "D")  # loaded D as absent, would write 1 over the 40
    assert store.find("D") == {"_id": "D", "value": 40}
    assert increment(store, "D") == 41  # its retry builds on what was created
    assert published_values(amqp_uri, bound_queue) == [41]


def remove(store: AggregateStore, aggregate_id: str) -> None:
    with store.change(aggregate_id) as change:
        change.remove()


def test_a_removed_aggregate_is_gone_and_can_be_created_again(
    test_db, amqp_uri, service_name, bound_queue, writes
):
    store = counter_store(test_db, amqp_uri, service_name, writes)
    increment(store, "G")
    remove(store, "G")
    assert test_db["counters"].find_one({"_id": "G"}) is None
    assert store.create("G", {"value": 10}) is True
    assert test_db["leases"].count_documents({}) == 0


def test_a_remover_stalled_before_its_delete_deletes_nothing_after_a_takeover(
    fenced, test_db, amqp_uri, bound_queue, clock
):
    fenced.seed()
    b_increments = stall_then(clock, lambda: increment(fenced, "F"))
    with armed("aggregate.before_write", b_increments), pytest.raises(LeaseLost):
        remove(fenced, "F")  # A read the document at 1; B wrote 2 meanwhile
    assert test_db["counters"].find_one({"_id": "F"})["value"] == 2
    assert published_values(amqp_uri, bound_queue) == [1, 2]
    assert test_db["leases"].count_documents({}) == 0


def test_every_taker_runs_the_takeover_repair_the_sweeper_included(
    test_db, amqp_uri, service_name, bound_queue, writes, clock
):
    """A `then` step a crashed holder never ran is finished by whoever takes its lease
    over: the sweeper releases the lease, so the next command takes nothing over."""
    leases = Leases(test_db["leases"], writes, ttl_seconds=TTL, **_clock(clock))
    repaired: list[dict | None] = []
    store = AggregateStore(
        test_db["counters"],
        leases,
        writes,
        OutboxPublisher(amqp_uri, service_name),
        on_takeover=repaired.append,
    )

    def crash_in_then():
        raise RuntimeError("the holder dies after its write")

    def write_then_crash(value: int) -> None:
        with pytest.raises(RuntimeError), store.change("T") as change:
            change.save({"_id": "T", "value": value}, then=crash_in_then)

    increment(store, "T")
    assert repaired == []  # a lease acquired normally repairs nothing
    write_then_crash(2)
    assert store.recover() == 1  # its lease was left expired: no clock needed
    assert repaired == [{"_id": "T", "value": 2}]
    assert increment(store, "T") == 3
    write_then_crash(4)
    clock.advance(TTL + 1)
    assert increment(store, "T") == 5  # a command's takeover repairs too
    assert repaired == [{"_id": "T", "value": 2}, {"_id": "T", "value": 4}]
    assert test_db["leases"].count_documents({}) == 0


def test_a_change_left_to_the_service_is_published_by_the_services_own_sweep_once(
    test_db, amqp_uri, service_name, bound_queue, writes
):
    """The admin CLI changes a service's data but may not publish as the service: its change
    publishes nothing and leaves its lease behind, expired, for the service's sweeper."""
    leases = Leases(test_db["leases"], writes, ttl_seconds=TTL)
    cli = AggregateStore(test_db["counters"], leases, writes, leave_to_service)
    assert increment(cli, "K") == 1  # the change is stored and the caller goes on
    assert drain(amqp_uri, bound_queue) == []
    service = counter_store(test_db, amqp_uri, service_name, writes)
    assert service.recover() == 1  # its next sweep, at once: the lease is already expired
    assert published_values(amqp_uri, bound_queue) == [1]
    assert service.recover() == 0
    assert drain(amqp_uri, bound_queue) == []
