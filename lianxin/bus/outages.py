"""What counts as an outage, and how timers wait one out.

A database or broker that is away, or an aggregate another writer holds, is not
the fault of the message or request at hand: consumers hold the message and try
again (lianxin.bus.consumer), HTTP answers 503 with Retry-After (lianxin.http), and the
outbox sweeper skips a tick.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable

from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError
from pymongo.errors import ConnectionFailure

from lianxin.store.aggregates import LeaseExpired, LeaseLost
from lianxin.store.lease import LeaseBusy

log = logging.getLogger(__name__)

INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionFailure,  # the database is away: AutoReconnect, ServerSelectionTimeoutError, ...
    OperationalError,  # the broker is away (kombu)
    AmqpConnectionError,
    socket.error,
    LeaseBusy,  # another writer holds the aggregate
    LeaseExpired,
    LeaseLost,
)
LOG_EVERY_SECONDS = 60.0


BROKER_WAIT_SECONDS = 300.0  # how long a starting service or a deploy step waits for RabbitMQ


def reach_broker(connection, purpose: str, seconds: float = BROKER_WAIT_SECONDS) -> None:
    """Connect `connection` (kombu), waiting out a broker that is restarting or too busy
    to answer the handshake in time: a service starting then comes up late, not dead."""
    deadline = time.monotonic() + seconds

    def waiting(error: Exception, interval: float) -> None:
        if time.monotonic() + interval > deadline:
            raise error
        log.warning(
            "RabbitMQ not reachable for %s (%s); trying again in %.1fs",
            purpose,
            type(error).__name__,
            interval,
        )

    connection.ensure_connection(
        errback=waiting, max_retries=None, interval_start=0.5, interval_step=1.0, interval_max=5.0
    )


def is_infrastructure(error: BaseException) -> bool:
    """Not the message's fault: retried for as long as it lasts, never counted as an attempt."""
    return isinstance(error, INFRASTRUCTURE_ERRORS)


class Sweeper:
    """The outbox sweeper's timer tick: an outage skips the tick, logged once a minute."""

    def __init__(self) -> None:
        self._logged_at = float("-inf")

    def tick(self, recover: Callable[[], int]) -> int:
        try:
            return recover()
        except Exception as exc:
            if not is_infrastructure(exc):
                raise
            now = time.monotonic()
            if now - self._logged_at >= LOG_EVERY_SECONDS:
                log.warning("outbox sweep skipped: %s", type(exc).__name__)
                self._logged_at = now
            return 0
