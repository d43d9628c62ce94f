"""A service's own routes to its own queues: at once, or after a fixed delay.

`<service>.queues` is a direct exchange to which only the service's queues are bound, each
by its own name (consumer queues, deadline queues, dead-letter queues). Each delay tier,
`<service>.delay.<n>s`, is a quorum queue with a fixed message TTL and no consumer; a
message is published to the tier's fanout exchange with the routing key of the queue it
should reach, and when it expires the broker dead-letters it, keeping that routing key,
into `<service>.queues`. A fixed TTL per queue means no message waits behind a longer one.
Retries (lianxin.bus.consumer) and deadlines (lianxin.bus.deadlines) both travel this way; a wait
longer than the longest tier takes several hops.

Why per service: the broker grants each service's user these exchanges and tiers only
(deploy/rabbitmq/definitions.sh), and no one but the administrator the default exchange.
A tier shared by all services, dead-lettering to the default exchange, would let any of
them drop a message into any queue by naming it as the routing key. Here a routing key
naming another service's queue matches no binding and the message goes nowhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kombu import Exchange, Queue

from lianxin.bus import producers

DELAY_TIERS_SECONDS = (1, 5, 30, 120, 600, 3600, 21600)


def queues_exchange(service: str) -> Exchange:
    """The exchange the service's own queues are bound to, each under its own name."""
    return Exchange(f"{service}.queues", type="direct", durable=True)


def tier_name(service: str, seconds: int) -> str:
    return f"{service}.delay.{seconds}s"


def tier_exchange(service: str, seconds: int) -> Exchange:
    return Exchange(tier_name(service, seconds), type="fanout", durable=True)


def tiers(service: str) -> list[Queue]:
    return [
        Queue(
            tier_name(service, seconds),
            exchange=tier_exchange(service, seconds),
            durable=True,
            queue_arguments={
                "x-queue-type": "quorum",
                "x-message-ttl": seconds * 1000,
                "x-dead-letter-exchange": queues_exchange(service).name,
                "x-dead-letter-strategy": "at-least-once",
                "x-overflow": "reject-publish",
            },
        )
        for seconds in DELAY_TIERS_SECONDS
    ]


def tier_at_least(seconds: float) -> int:
    """The shortest tier that waits at least `seconds` (the longest, past them all): for
    retries, where waiting a little longer than asked is fine."""
    return next((tier for tier in DELAY_TIERS_SECONDS if tier >= seconds), DELAY_TIERS_SECONDS[-1])


def tier_at_most(seconds: float) -> int | None:
    """The longest tier that does not overshoot `seconds`, or None when under the
    shortest: for deadlines, which must not fire late by more than the shortest tier."""
    fitting = [tier for tier in DELAY_TIERS_SECONDS if tier <= seconds]
    return fitting[-1] if fitting else None


def publish(
    amqp_uri: str,
    service: str,
    body: Any,
    target_queue: str,
    tier_seconds: int | None,
    headers: Mapping[str, Any] | None = None,
    content_type: str = "application/json",
    content_encoding: str = "utf-8",
) -> None:
    """Deliver `body` to the service's own `target_queue` after a tier's delay (None: at
    once), with confirms. Mandatory: a tier or queue that is not there raises instead of
    dropping the message."""
    if tier_seconds is None:
        exchange = queues_exchange(service)
    else:
        exchange = tier_exchange(service, tier_seconds)
    producers.publish(
        amqp_uri,
        body,
        exchange,
        routing_key=target_queue,
        retry_policy={"max_retries": 3},
        mandatory=True,
        headers=dict(headers or {}),
        content_type=content_type,
        content_encoding=content_encoding,
    )
