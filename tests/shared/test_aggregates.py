"""AggregateStore on FerretDB and RabbitMQ: no lost update, no lost event, nothing doubled."""

from __future__ import annotations

import threading
import uuid

import pytest
from kombu import Connection, Exchange, Queue

from lianxin.aggregates import AggregateStore
from lianxin.envelope import Envelope
from lianxin.lease import Leases
from lianxin.outbox import EventPublisher

pytestmark = pytest.mark.integration


@pytest.fixture
def service_name() -> str:
    return f"agg{uuid.uuid4().hex[:6]}"


@pytest.fixture
def bound_queue(amqp_uri, service_name):
    """A queue bound to the test service's event exchange, as a consumer's would be."""
    exchange = Exchange(f"{service_name}.events", type="topic", durable=True)
    queue = Queue(
        f"{service_name}-probe", exchange, routing_key="counter.#", durable=False, auto_delete=False
    )
    with Connection(amqp_uri) as connection:
        queue(connection.channel()).declare()
        yield queue
        queue(connection.channel()).delete()


def drain(amqp_uri: str, queue: Queue) -> list[dict]:
    messages = []
    with Connection(amqp_uri) as connection:
        bound = queue(connection.channel())
        while (message := bound.get(no_ack=True)) is not None:
            messages.append(message.payload)
    return messages


def counter_store(test_db, amqp_uri, service_name, ttl=10.0) -> AggregateStore:
    leases = Leases(test_db["leases"], ttl_seconds=ttl, wait_seconds=30)
    return AggregateStore(test_db["counters"], leases, EventPublisher(amqp_uri, service_name))


def increment(store: AggregateStore, aggregate_id: str) -> None:
    with store.change(aggregate_id) as change:
        value = (change.document or {}).get("value", 0) + 1
        event = Envelope("counter.incremented", {"value": value}, correlation_id="test")
        change.save({"_id": aggregate_id, "value": value}, [event])


def test_concurrent_commands_on_one_aggregate_lose_no_update_and_publish_each_event_once(
    test_db, amqp_uri, service_name, bound_queue
):
    store = counter_store(test_db, amqp_uri, service_name)
    threads, per_thread = 8, 15

    def work():
        for _ in range(per_thread):
            increment(store, "X")

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)

    document = test_db["counters"].find_one({"_id": "X"})
    assert document["value"] == threads * per_thread
    assert document["outbox"] == []
    events = drain(amqp_uri, bound_queue)
    assert sorted(event["payload"]["value"] for event in events) == list(
        range(1, threads * per_thread + 1)
    )
    assert test_db["leases"].count_documents({}) == 0


def test_an_outbox_that_cannot_be_published_stays_and_is_published_by_recovery(
    test_db, amqp_uri, service_name
):
    store = counter_store(test_db, amqp_uri, service_name)
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
    assert test_db["counters"].find_one({"_id": "Y"})["outbox"] == []
    assert store._leases.stale(collection="counters") == []
    assert store.recover() == 0
