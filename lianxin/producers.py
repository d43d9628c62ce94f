"""Publishing with confirms through nameko's producer pool, found once per process.

nameko's `get_producer` builds a kombu Connection, parsing the broker URL, on every
publish only to look up its pool: under load that was 4–6 % of cases' and roster's
CPU. The pool is the same one (kombu.pools.producers, keyed by the connection's
parameters), so how a pooled producer recovers from a lost connection is unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from kombu import Connection, Exchange, Producer
from kombu.exceptions import ChannelError
from kombu.pools import ProducerPool, producers
from nameko.amqp.publish import UndeliverableMessage
from nameko.constants import DEFAULT_TRANSPORT_OPTIONS, PERSISTENT

_pools: dict[str, ProducerPool] = {}
_lock = threading.Lock()


@contextmanager
def _producer(amqp_uri: str) -> Iterator[Producer]:
    """A producer with publisher confirms, for the duration of one publish."""
    pool = _pools.get(amqp_uri) or _pool(amqp_uri)
    with pool.acquire(block=True) as found:
        yield found


def publish(
    amqp_uri: str,
    body: Any,
    exchange: Exchange,
    routing_key: str,
    retry_policy: Mapping[str, Any],
    mandatory: bool = False,
    declare: Sequence[Exchange] = (),
    **options: Any,
) -> None:
    """Publish persistently and wait for the broker's confirm, as nameko's Publisher does:
    a mandatory message no queue is bound to raises UndeliverableMessage."""
    with _producer(amqp_uri) as found:
        try:
            found.publish(
                body,
                exchange=exchange,
                routing_key=routing_key,
                delivery_mode=PERSISTENT,
                mandatory=mandatory,
                declare=list(declare),
                retry=True,
                retry_policy=dict(retry_policy),
                **options,
            )
        except ChannelError as exc:
            if "NO_ROUTE" in str(exc):
                raise UndeliverableMessage() from exc
            raise


def _pool(amqp_uri: str) -> ProducerPool:
    with _lock:
        if amqp_uri not in _pools:
            options = {**DEFAULT_TRANSPORT_OPTIONS, "confirm_publish": True}
            _pools[amqp_uri] = producers[Connection(amqp_uri, transport_options=options)]
        return _pools[amqp_uri]
