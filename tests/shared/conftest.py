"""Fixtures for the shared package's tests against the real FerretDB and RabbitMQ (the
store backends, memory included, are tests/backends.py's)."""

from __future__ import annotations

import uuid

import pytest
from kombu import Connection, Exchange, Queue

from lianxin.store.engine import FERRETDB, MONGODB, ConditionalWrites


class CountedReads:
    """A collection that counts the by-`_id` reads made of it."""

    def __init__(self, collection):
        self._collection = collection
        self.reads = 0

    def find_one(self, *args, **kwargs):
        self.reads += 1
        return self._collection.find_one(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._collection, name)


@pytest.fixture(params=[FERRETDB, MONGODB], ids=lambda engine: engine.name)
def writes(request) -> ConditionalWrites:
    """Both code paths. On FerretDB the MongoDB path's filters are evaluated correctly but
    not atomically, so tests that use this fixture run their writers one step at a time."""
    return ConditionalWrites(request.param)


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
