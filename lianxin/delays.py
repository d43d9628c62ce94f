"""Delay tiers: holding queues whose messages come back to a named queue after a fixed time.

Each tier is a quorum queue with a fixed message TTL and no consumer. A message is
published to a tier's fanout exchange with the routing key of the queue it should
reach; when it expires, the broker dead-letters it to the default exchange keeping
that routing key, so it arrives in that queue. A fixed TTL per queue means no
message waits behind a longer one. Retries (lianxin.consumer) and deadlines
(lianxin.deadlines) both travel this way; a wait longer than the longest tier takes
several hops.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kombu import Exchange, Queue

from lianxin import producers

DELAY_TIERS_SECONDS = (1, 5, 30, 120, 600, 3600, 21600)
DEFAULT_EXCHANGE = Exchange("")


def tier_name(seconds: int) -> str:
    return f"lianxin.delay.{seconds}s"


def tier_exchange(seconds: int) -> Exchange:
    return Exchange(tier_name(seconds), type="fanout", durable=True)


def tiers() -> list[Queue]:
    return [
        Queue(
            tier_name(seconds),
            exchange=tier_exchange(seconds),
            durable=True,
            queue_arguments={
                "x-queue-type": "quorum",
                "x-message-ttl": seconds * 1000,
                "x-dead-letter-exchange": "",
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
    body: Any,
    target_queue: str,
    tier_seconds: int | None,
    headers: Mapping[str, Any] | None = None,
    content_type: str = "application/json",
    content_encoding: str = "utf-8",
) -> None:
    """Deliver `body` to `target_queue` after a tier's delay (None: at once), with confirms."""
    exchange = DEFAULT_EXCHANGE if tier_seconds is None else tier_exchange(tier_seconds)
    producers.publish(
        amqp_uri,
        body,
        exchange,
        routing_key=target_queue,
        retry_policy={"max_retries": 3},
        headers=dict(headers or {}),
        content_type=content_type,
        content_encoding=content_encoding,
    )
