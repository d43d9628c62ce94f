"""Fixtures for the roster's tests.

`store`, `probe` and `community` are the roster's repository on the in-memory twin
(tests/backends.py: `memory_backend`), what it published, and the sample community
imported into it: the use-case tests run on them in milliseconds. `broker_store`,
`broker_probe` and `broker_community` are the same on the real FerretDB, publishing to
the real RabbitMQ, where a probe queue reads back what it publishes: for the few tests
whose subject is the engine or the broker (a write that fails at a fault point and the
events it still tells once).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kombu import Connection, Exchange, Queue

from lianxin.bus import delays
from lianxin.bus.consumer import DeadlineHandler
from lianxin.bus.deadlines import is_deadline
from lianxin.bus.outbox import OutboxPublisher
from lianxin.bus.topology import consumers
from lianxin.config import Settings
from lianxin.store.engine import ConditionalWrites, Engine
from lianxin.store.lease import Leases
from lianxin.store.repository import StoreContext, ensure_indexes
from services.roster import compose
from services.roster.admin import read
from services.roster.app import registry
from services.roster.service import RosterService
from services.roster.store import RosterStore
from tests.backends import Backend

SAMPLE = Path(__file__).parents[2] / "services" / "roster" / "data" / "jingxiang"
FRIDAY_NOON_UTC = datetime(2026, 3, 6, 4, 0, tzinfo=UTC)  # 12:00 in Changsha


# -- in memory ------------------------------------------------------------------------------


@pytest.fixture
def store(memory_backend: Backend) -> RosterStore:
    context = memory_backend.context("roster")
    parts = compose.build(context)
    ensure_indexes(context, parts)
    return parts.store


@pytest.fixture
def probe(memory_backend: Backend):
    """The events the store published since the last call, oldest first, as a queue
    bound to the roster's exchange would read them (deadlines go elsewhere)."""

    def drained() -> list[dict]:
        return [m for m in memory_backend.published.take() if not is_deadline(m)]

    return drained


@pytest.fixture
def community(store, probe):
    return imported(store, probe)


def imported(store: RosterStore, probe) -> registry.ImportResult:
    result = registry.import_rows(
        store, read([SAMPLE]), dry_run=False, now=FRIDAY_NOON_UTC, communities=None
    )
    assert result.applied, result.plan.rejected[:3]
    probe()
    return result


# -- on FerretDB and RabbitMQ ---------------------------------------------------------------


@pytest.fixture
def service(amqp_uri):
    """A name of its own, so that its event exchange is this test's; its delay tiers and
    deadline queues declared, as roster's are, so its deadlines have somewhere to go."""
    name = f"roster{uuid.uuid4().hex[:6]}"
    with Connection(amqp_uri) as connection:
        for queue in delays.tiers(name):
            queue(connection.channel()).declare()
        for method, consumer in consumers(RosterService):
            if isinstance(consumer, DeadlineHandler):
                for queue in consumer.declared_queues(name, method):
                    queue(connection.channel()).declare()
    return name


@pytest.fixture
def broker_probe(amqp_uri, service):
    """Everything the store publishes on its exchange."""
    exchange = Exchange(f"{service}.events", type="topic", durable=True)
    queue = Queue(f"{service}-probe", exchange, routing_key="#", durable=False, auto_delete=False)
    with Connection(amqp_uri) as connection:
        queue(connection.channel()).declare()

    def drained() -> list[dict]:
        with Connection(amqp_uri) as connection:
            bound = queue(connection.channel())
            found = []
            while (message := bound.get(no_ack=True)) is not None:
                found.append(message.payload)
            return found

    yield drained
    with Connection(amqp_uri) as connection:
        queue(connection.channel()).delete()


@pytest.fixture
def broker_store(test_db, amqp_uri, service) -> RosterStore:
    writes = ConditionalWrites(Engine.detect(test_db))
    context = StoreContext(
        test_db,
        writes.engine,
        writes,
        Leases(test_db["leases"], writes, ttl_seconds=10),
        OutboxPublisher(amqp_uri, service),
        Settings("roster"),
        {},
    )
    parts = compose.build(context)
    ensure_indexes(context, parts)
    return parts.store


@pytest.fixture
def broker_community(broker_store, broker_probe):
    return imported(broker_store, broker_probe)
