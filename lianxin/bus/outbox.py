"""The in-document outbox (docs/architecture.md rule 3).

The events a change causes are stored in the aggregate's own document, in the
same write as the change, under the `outbox` field. They are published with
publisher confirms and `mandatory=True` (an event no queue is bound to raises
instead of vanishing) before the writer's lease is released; lianxin.store.aggregates
says how a lease left behind gets them published, and why no write clears them.
A crash between publish and release republishes; consumers are idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from nameko.standalone.events import get_event_exchange

from lianxin.bus import deadlines, producers

OUTBOX = "outbox"
SWEEP_INTERVAL_SECONDS = 1.0  # how often each service looks for outboxes left behind

Publish = Callable[[Mapping[str, Any]], None]


class LeftToService(Exception):
    """Not published here: the owning service's relay publishes it (leave_to_service)."""


def leave_to_service(message: Mapping[str, Any]) -> None:
    """The Publish of a process that changes a service's data without being the service
    (the admin CLI). Only the service's broker user may publish on its exchange and its
    delay tiers, so nothing is published here: the change leaves its lease behind,
    expired, and the service's own outbox sweep (each second) publishes the events as the
    service (lianxin.store.aggregates)."""
    raise LeftToService()


def pending(document: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    return list(document.get(OUTBOX, [])) if document else []


class OutboxPublisher:
    """Publishes what an outbox holds: events to the service's nameko event exchange,
    `<service>.events`, with the event type as routing key (so nameko event handlers
    bind to it); deadlines into the service's own delay tiers, towards its own queue.
    Either carries the service's broker user as `user_id` (lianxin.bus.producers)."""

    def __init__(self, amqp_uri: str, service_name: str):
        self._amqp_uri = amqp_uri
        self._service = service_name
        self._exchange = get_event_exchange(service_name, {})

    def __call__(self, message: Mapping[str, Any]) -> None:
        if deadlines.is_deadline(message):
            deadlines.send(self._amqp_uri, self._service, message)
            return
        producers.publish(
            self._amqp_uri,
            dict(message),
            self._exchange,
            routing_key=message["type"],
            retry_policy={"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2},
            mandatory=True,
            declare=[self._exchange],
            serializer="json",
            message_id=message["event_id"],
        )
