"""Every event a service emits has a consumer.

Outboxes publish with `mandatory=True`: an event type no queue is bound to is
refused by the broker, and the outbox holding it is retried forever. This
check reads the services' declarations (no I/O), so a new event type without a
consumer fails here instead of piling up in production.
"""

from __future__ import annotations

import importlib
import uuid

import pytest
from kombu import Connection, Exchange

from scripts.stack import SERVICES, bindings, declare_topology
from tests.conftest import AMQP_HOST_URI, rabbitmqctl


def consumed(name: str) -> set[tuple[str, str]]:
    """(source service, event type) pairs the service's event handlers are bound to."""
    return {(binding.source, binding.event_type) for binding in bindings(name)}


def emitted(name: str) -> set[str]:
    """The event types with a payload schema in the service that it does not consume itself."""
    schemas = importlib.import_module(f"services.{name}.schemas")
    return schemas.EVENTS.types - {event for _, event in consumed(name)}


@pytest.mark.parametrize("source", list(SERVICES))
def test_every_emitted_event_type_has_a_consumer(source):
    bound = set().union(*(consumed(name) for name in SERVICES if name != source))
    orphans = {event for event in emitted(source) if (source, event) not in bound}
    assert orphans == set(), f"{source} emits {sorted(orphans)} but nothing consumes them"


def test_every_consumed_event_type_is_emitted_by_its_source():
    for name in SERVICES:
        for source, event in consumed(name):
            assert event in emitted(source), f"{name} waits for {source}/{event}, never emitted"


@pytest.mark.integration
def test_the_declared_topology_keeps_an_event_for_every_consumer_not_yet_running():
    """A fresh vhost, topology declared, no service running: one published case.triaged
    waits in roster's queue and in metrics' queue."""
    vhost = f"lianxin-topology-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    try:
        uri = AMQP_HOST_URI.rstrip("/") + "/" + vhost
        assert declare_topology(uri) == sum(len(bindings(name)) for name in SERVICES)
        exchange = Exchange("cases.events", type="topic", durable=True)
        with Connection(uri) as connection:
            connection.Producer().publish(
                {"type": "case.triaged"},
                exchange=exchange,
                routing_key="case.triaged",
                mandatory=True,
            )
            channel = connection.channel()
            waiting = {
                binding.queue: channel.queue_declare(binding.queue, passive=True)[1]
                for name in SERVICES
                for binding in bindings(name)
                if (binding.source, binding.event_type) == ("cases", "case.triaged")
            }
        assert waiting == {
            "evt-cases-case.triaged--roster.on_case_triaged": 1,
            "evt-cases-case.triaged--metrics.count_event": 1,
        }
    finally:
        rabbitmqctl("delete_vhost", vhost)
