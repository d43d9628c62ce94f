"""Dead-lettered messages: list, inspect and replay them (docs/architecture.md rule 5).

A message lands in `<queue>.dead` when its handler failed on every attempt,
when it could not be decoded, when its worker died more often than the
queue's delivery limit, or when it is a control event its source did not publish.
Replaying moves it back to `<queue>` with its attempt count reset, once the cause
is fixed; the handlers are idempotent, so replaying a message whose effect did land
changes nothing. A replayed message keeps its first publisher (PUBLISHER_HEADER),
so a refused control event is refused again.

The operator runs this as the broker's administrator: replaying goes through the
default exchange, which no service's user may write to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from amqp.exceptions import NotFound
from kombu import Connection, Queue

from lianxin.bus.consumer import (
    ATTEMPTS_HEADER,
    ERROR_HEADER,
    PUBLISHER_HEADER,
    dead_letter_queue_name,
)

REPLAYED_HEADER = "x-lianxin-replayed"
ANY_CONTENT = [
    "application/json",
    "application/data",
    "text/plain",
    "application/x-python-serialize",
]
BROKER_HEADERS = (
    "x-death",
    "x-first-death-exchange",
    "x-first-death-queue",
    "x-first-death-reason",
    "x-delivery-count",
)


@dataclass(frozen=True)
class Parked:
    queue: str
    event_id: str
    type: str
    case_id: str | None
    attempts: int
    error: str
    reason: str  # why the broker dead-lettered it, when the broker did (delivery limit)
    body: Any


def depths(amqp_uri: str, queues: Iterable[str]) -> dict[str, int]:
    """Messages waiting in each consumer queue's dead-letter queue."""
    found = {}
    with Connection(amqp_uri) as connection:
        for queue in queues:
            try:
                _, count, _ = connection.channel().queue_declare(
                    dead_letter_queue_name(queue), passive=True
                )
            except NotFound:
                count = 0
                connection.release()
                connection.connect()
            found[queue] = count
    return found


def inspect(amqp_uri: str, queue: str, limit: int = 20) -> list[Parked]:
    """Read up to `limit` parked messages without taking them: they go back on close."""
    parked = []
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        dead = Queue(dead_letter_queue_name(queue), no_declare=True)(channel)
        for _ in range(limit):
            message = dead.get(no_ack=False)
            if message is None:
                break
            parked.append(_parked(queue, message))
        channel.close()  # unacknowledged: every message returns to the dead-letter queue
    return parked


def replay(amqp_uri: str, queue: str, event_ids: set[str] | None = None) -> int:
    """Move the messages parked now (all, or those with the given event ids) back to
    `queue`. Returns how many moved. Each is published with confirms before it is taken
    off."""
    moved = 0
    dead = dead_letter_queue_name(queue)
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        producer = connection.Producer(channel)
        parked = Queue(dead, no_declare=True)(channel)
        # only what is parked now: a message refused again at once (a control event its
        # source did not publish, an undecodable one) is parked behind them, not replayed
        # round and round
        for _ in range(channel.queue_declare(dead, passive=True).message_count):
            message = parked.get(no_ack=False)
            if message is None:
                break
            if event_ids is not None and _parked(queue, message).event_id not in event_ids:
                continue
            producer.publish(
                message.body,
                exchange="",
                routing_key=queue,
                headers=_fresh_headers(message.headers or {}, message.properties or {}),
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                delivery_mode=2,
            )
            message.ack()
            moved += 1
        channel.close()  # the skipped ones, never acknowledged, stay parked
    return moved


def _fresh_headers(headers: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    """The headers a replayed message goes back with: attempts and errors cleared, and its
    first publisher kept (the broker parked it as published, `user_id` included, when it
    parked it for its delivery limit; the consumer noted it in the header otherwise)."""
    kept = {
        key: value
        for key, value in headers.items()
        if key not in (ATTEMPTS_HEADER, ERROR_HEADER, *BROKER_HEADERS)
    }
    kept[REPLAYED_HEADER] = int(headers.get(REPLAYED_HEADER, 0)) + 1
    kept[PUBLISHER_HEADER] = str(headers.get(PUBLISHER_HEADER, properties.get("user_id")) or "")
    return kept


def _parked(queue: str, message) -> Parked:
    headers = message.headers or {}
    try:
        body = json.loads(message.body)
    except (TypeError, ValueError):
        body = message.body if isinstance(message.body, str) else repr(message.body)[:500]
    envelope = body if isinstance(body, dict) else {}
    return Parked(
        queue=queue,
        event_id=str(envelope.get("event_id", "?")),
        type=str(envelope.get("type", "?")),
        case_id=envelope.get("case_id"),
        attempts=int(headers.get(ATTEMPTS_HEADER, 0)),
        error=str(headers.get(ERROR_HEADER, "")),
        reason=str(headers.get("x-first-death-reason", "")),
        body=body,
    )
