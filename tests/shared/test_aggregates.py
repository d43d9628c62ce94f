"""AggregateStore where only FerretDB and the real RabbitMQ show it: the broker refusing
an event no queue is bound to, and FerretDB's fence-read shortcut.

The store's contract (one writer, fencing at every fault point, the outbox, creation,
removal, idempotency, the takeover repair) is held on every backend, memory included,
in test_store_contract.py.
"""

from __future__ import annotations

import pytest
from kombu import Connection, Exchange, Queue

from lianxin.bus.envelope import Envelope
from lianxin.bus.outbox import OutboxPublisher
from lianxin.faults import armed
from lianxin.store.aggregates import AggregateStore
from lianxin.store.engine import FERRETDB, ConditionalWrites
from lianxin.store.lease import HELD_MARGIN, Leases
from tests.backends import FakeClock
from tests.shared.conftest import CountedReads, drain

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
