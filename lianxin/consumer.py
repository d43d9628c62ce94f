"""Event handlers that never drop a message (DESIGN.md rule 5).

nameko acknowledges a message whose handler raised. This handler instead
republishes it to a per-queue retry queue whose messages expire back into the
original queue after a back-off, or, when the policy gives up or the message
is malformed, to a per-queue dead-letter queue, and only then acknowledges it.
A worker killed mid-way never acks, so the broker redelivers.
"""

from __future__ import annotations

import logging
import traceback

from kombu import Exchange, Queue
from nameko.amqp.publish import get_connection, get_producer
from nameko.events import EventHandler

from lianxin import instrumentation
from lianxin.config import Settings
from lianxin.retry import DeadLetter, RetryPolicy

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-lianxin-attempts"
ERROR_HEADER = "x-lianxin-error"
DEFAULT_EXCHANGE = Exchange("")


def retry_queue_name(queue: str) -> str:
    return f"{queue}.retry"


def dead_letter_queue_name(queue: str) -> str:
    return f"{queue}.dead"


class ReliableEventHandler(EventHandler):
    def setup(self) -> None:
        super().setup()
        settings = Settings.from_config(self.container.service_name, self.container.config)
        self._amqp_uri = settings.amqp_uri
        self._policy = RetryPolicy(
            max_attempts=settings.handler_max_attempts,
            base_delay=settings.handler_retry_base_seconds,
        )
        name = self.queue.name
        self._retry_queue = Queue(
            retry_queue_name(name),
            exchange=DEFAULT_EXCHANGE,
            routing_key=retry_queue_name(name),
            durable=True,
            queue_arguments={
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": name,
            },
        )
        self._dead_queue = Queue(
            dead_letter_queue_name(name),
            exchange=DEFAULT_EXCHANGE,
            routing_key=dead_letter_queue_name(name),
            durable=True,
        )
        # declared up front, so operators see (and alert on) an empty dead-letter queue
        with get_connection(self._amqp_uri) as connection:
            for queue in (self._retry_queue, self._dead_queue):
                queue.maybe_bind(connection)
                queue.declare()

    def handle_message_processed(self, message, result=None, exc_info=None) -> None:
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        try:
            self._park(message, exc_info)
        except Exception:
            log.exception("could not park failed message; returning it to %s", self.queue.name)
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)

    def _park(self, message, exc_info) -> None:
        attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 0)) + 1
        decision = self._policy.decide(attempts, exc_info[1])
        headers = {
            **(message.headers or {}),
            ATTEMPTS_HEADER: attempts,
            ERROR_HEADER: "".join(traceback.format_exception_only(*exc_info[:2]))[-500:],
        }
        if isinstance(decision, DeadLetter):
            target, expiration, counter = (
                self._dead_queue,
                None,
                instrumentation.EVENTS_DEAD_LETTERED,
            )
            log.error("dead-lettering message from %s: %s", self.queue.name, decision.reason)
        else:
            target, expiration = self._retry_queue, decision.delay_seconds
            counter = instrumentation.EVENTS_RETRIED
        with get_producer(self._amqp_uri, confirms=True) as producer:
            producer.publish(
                message.body,
                exchange=DEFAULT_EXCHANGE,
                routing_key=target.name,
                declare=[target],
                headers=headers,
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                delivery_mode=2,
                expiration=expiration,
                retry=True,
                retry_policy={"max_retries": 3},
            )
        counter.labels(self.queue.name).inc()  # counted once it is really parked


event_handler = ReliableEventHandler.decorator
