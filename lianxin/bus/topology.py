"""Declare every exchange and consumer queue before any service publishes (a deploy step,
run as the broker's administrator).

Outboxes publish with `mandatory=True`, which only proves that *some* queue is
bound: on a first deployment an event could reach roster's queue while metrics'
queue does not exist yet. Declaring all of them first closes that gap. It also
declares every service's events exchange, which no other service may declare
(deploy/rabbitmq/definitions.sh): a consumer binds to its sources' exchanges passively.

Queues declared by an earlier release with other arguments (classic queues; queues
that dead-lettered to the default exchange) are replaced here, messages included,
since a queue's arguments cannot change in place. The delay tiers all services
shared until 2026-12 (`lianxin.delay.<n>s`, dead-lettering to the default exchange)
are removed once empty: what waits in them still expires into its queue meanwhile,
within the longest tier's delay.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from amqp.exceptions import NotFound, PreconditionFailed
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange

from lianxin.bus import delays
from lianxin.bus.consumer import ReliableEventHandler, Source
from lianxin.bus.outages import reach_broker

log = logging.getLogger(__name__)

RETIRED_TIERS = tuple(f"lianxin.delay.{seconds}s" for seconds in delays.DELAY_TIERS_SECONDS)


def consumers(service_cls: type) -> list[tuple[str, ReliableEventHandler]]:
    """The event consumers a nameko service class declares, with their method names."""
    found = []
    for name in dir(service_cls):
        for entrypoint in getattr(getattr(service_cls, name), "nameko_entrypoints", ()):
            if isinstance(entrypoint, ReliableEventHandler):
                found.append((name, entrypoint))
    return found


def consumed_sources(service_name: str, service_cls: type) -> dict[str, list[Source]]:
    """Queue name → the (service, event pattern) sources bound to it."""
    return {
        consumer.queue_name(service_name, method): consumer.sources()
        for method, consumer in consumers(service_cls)
    }


def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching: `*` is one word, `#` zero or more."""
    return _match(pattern.split("."), routing_key.split("."))


def _match(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_match(rest, words[index:]) for index in range(len(words) + 1))
    if not words:
        return False
    return (head in ("*", words[0])) and _match(rest, words[1:])


def declare(amqp_uri: str, services: Mapping[str, type]) -> int:
    """Declare every service's events exchange, own exchange and delay tiers, then every
    consumer queue with its dead-letter queue. Safe to repeat. Returns the number of
    consumer queues."""
    declared = 0
    with Connection(amqp_uri) as connection:
        reach_broker(connection, "declaring the topology")
        for service in _publishers(services):
            get_event_exchange(service, {})(connection.default_channel).declare()
        for service_name in services:
            delays.queues_exchange(service_name)(connection.default_channel).declare()
            for queue in delays.tiers(service_name):
                _declare(connection, queue)
        for service_name, service_cls in services.items():
            for method, consumer in consumers(service_cls):
                main, dead = consumer.declared_queues(service_name, method)
                _declare(connection, dead)
                _declare(connection, main)
                _unbind(connection, main.name, consumer.retired_sources())
                declared += 1
        _retire_shared_tiers(connection)
    return declared


def _publishers(services: Mapping[str, type]) -> set[str]:
    """The services given, and every source their consumers name."""
    named = {
        source.service
        for service_name, service_cls in services.items()
        for bound in consumed_sources(service_name, service_cls).values()
        for source in bound
    }
    return set(services) | named


def _retire_shared_tiers(connection: Connection) -> None:
    """Remove the shared delay tiers of earlier releases that are empty; a tier still
    holding messages stays until a later run (quorum queues cannot be deleted if-empty)."""
    for name in RETIRED_TIERS:
        try:
            waiting = connection.default_channel.queue_declare(name, passive=True).message_count
        except NotFound:
            connection.release()
            connection.connect()
            continue
        if waiting:
            log.warning("retired delay tier %s still holds %d message(s); kept", name, waiting)
            continue
        connection.default_channel.queue_delete(name)
        connection.default_channel.exchange_delete(name)
        log.warning("retired delay tier %s removed", name)


def _unbind(connection: Connection, queue: str, retired: Iterable[Source]) -> None:
    """Remove bindings an earlier release gave the queue (removing one that is not there
    is not an error, so this is safe to repeat)."""
    for source in retired:
        connection.default_channel.queue_unbind(
            queue=queue,
            exchange=get_event_exchange(source.service, {}).name,
            routing_key=source.pattern,
        )


def _declare(connection: Connection, queue: Queue) -> None:
    try:
        queue(connection.default_channel).declare()
    except PreconditionFailed:  # declared before with other arguments (a classic queue)
        connection.release()
        connection.connect()
        _move_to(connection, queue)


def _move_to(connection: Connection, queue: Queue) -> None:
    """Replace a queue of the same name but another type, keeping its messages."""
    holding = Queue(f"{queue.name}.upgrading", durable=True, queue_arguments=queue.queue_arguments)
    channel = connection.default_channel
    holding(channel).declare()
    moved = _transfer(connection, Queue(queue.name, no_declare=True), holding.name)
    channel.queue_delete(queue.name)
    queue(channel).declare()
    _transfer(connection, holding, queue.name)
    channel.queue_delete(holding.name)
    log.warning(
        "queue %s upgraded to %s, %d message(s) kept",
        queue.name,
        queue.queue_arguments.get("x-queue-type", "classic"),
        moved,
    )


def _transfer(connection: Connection, source: Queue, target: str) -> int:
    moved = 0
    channel = connection.default_channel
    producer = connection.Producer(channel)
    while (message := source(channel).get(no_ack=False, accept=None)) is not None:
        producer.publish(
            message.body,
            exchange="",
            routing_key=target,
            headers=message.headers,
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            delivery_mode=2,
        )
        message.ack()
        moved += 1
    return moved


def queue_names(services: Mapping[str, type]) -> Iterable[str]:
    for service_name, service_cls in services.items():
        yield from consumed_sources(service_name, service_cls)
