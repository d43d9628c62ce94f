"""Event handlers that never drop a message (docs/architecture.md rule 5).

Queues. Every consumer queue is a quorum queue, so the same topology runs on a
RabbitMQ cluster, declared with
- `x-delivery-limit`: a message whose worker died mid-way (no ack: the broker takes
  it back) is redelivered at most that many times, then dead-lettered by the broker;
- at-least-once dead-lettering into `<queue>.dead`, declared up front so operators
  see (and alert on) an empty one;
- bindings to the events exchanges of their sources, which they never declare (only the
  source and the deploy step may: deploy/rabbitmq/definitions.sh), and to the service's
  own `<service>.queues` under their own name, the only way back in for a retry, a
  deadline or a replay (lianxin.bus.delays).

Outcomes. A message is acked only after its handler's effect is stored.
- A handler's own failure counts as an attempt: the message is republished to a
  retry tier (a queue whose messages expire back into the original queue after a
  fixed delay) or, after the last attempt, to `<queue>.dead`; then acked.
- An infrastructure failure (database or broker away, another writer holding the
  aggregate) is not the message's fault: the worker keeps the message and runs the
  handler again with capped back-off (lianxin.backoff) for as long as the outage lasts. Nothing is
  counted against the message, nothing is parked.
- A message that cannot be decoded, or whose envelope or payload is invalid, goes
  straight to `<queue>.dead`.
- A consumer of control events (`from_source_only=True`: keys, people's access) refuses,
  and parks, a message its source service's broker user did not publish; see
  `publisher_of` for how its retries and replays keep their first publisher.

Logging. nameko logs every failed worker with a traceback; these entrypoints log
instead: a retry as one warning line, a dead-lettered message once as an error
with its event id, an outage once per message.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import eventlet
from kombu import Exchange, Queue, binding
from nameko.amqp.publish import get_connection
from nameko.containers import WorkerContext
from nameko.events import EventHandler
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import QueueConsumer
from nameko.standalone.events import get_event_exchange

from lianxin import instrumentation
from lianxin.backoff import BackOff
from lianxin.bus import deadlines, delays
from lianxin.bus.outages import is_infrastructure, reach_broker
from lianxin.bus.retry import DeadLetter, RetryPolicy
from lianxin.config import Settings

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-lianxin-attempts"
ERROR_HEADER = "x-lianxin-error"
PUBLISHER_HEADER = "x-lianxin-publisher"  # the broker user who first published the message
# Deliveries of one message whose worker died before acking it (a crash loop), after which
# the broker parks it. A constant, not a setting: every declarer must agree on it.
DELIVERY_LIMIT = 10
OUTAGE_BACK_OFF = BackOff(base_seconds=0.25, cap_seconds=10.0)  # then ±20 %, unlimited


def dead_letter_queue_name(queue: str) -> str:
    return f"{queue}.dead"


@dataclass(frozen=True)
class Source:
    """Events of one service whose type matches a topic pattern (`case.resolved`, `case.#`)."""

    service: str
    pattern: str


def source_exchange(service: str) -> Exchange:
    """A source's events exchange as a consumer binds to it: declared passively, since only
    the source (and the deploy step) may declare it; missing, it fails the bind plainly."""
    exchange = get_event_exchange(service, {})
    exchange.passive = True
    return exchange


def consumer_queue(service: str, name: str, sources: Iterable[Source]) -> Queue:
    """A service's quorum queue bound to its sources on their event exchanges, and to the
    service's own exchange under its name; it dead-letters there, into `<name>.dead`."""
    own = delays.queues_exchange(service)
    bindings = [
        binding(source_exchange(source.service), routing_key=source.pattern) for source in sources
    ]
    return Queue(
        name,
        bindings=[*bindings, binding(own, routing_key=name)],
        durable=True,
        auto_delete=False,
        exclusive=False,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": own.name,
            "x-dead-letter-routing-key": dead_letter_queue_name(name),
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )


def dead_letter_queue(service: str, name: str) -> Queue:
    return Queue(
        dead_letter_queue_name(name),
        exchange=delays.queues_exchange(service),
        routing_key=dead_letter_queue_name(name),
        durable=True,
        queue_arguments={"x-queue-type": "quorum"},
    )


def publisher_of(message, source_exchanges: Iterable[str]) -> str:
    """The broker user who first published `message` ("" when none is known).

    A message that arrives from a source's events exchange (first delivered, or redelivered
    by the broker) carries `user_id`, which RabbitMQ checks against the publishing
    connection's user, and which the outbox relay always sets (lianxin.bus.producers). Any
    other way in is the consumer's own path: its retries, through its own delay tiers and
    `<service>.queues`, or the operator's replay; only the service itself and the
    administrator may write there. On that path the first publisher travels in
    PUBLISHER_HEADER, set when the consumer republished the message and kept by a replay."""
    properties = message.properties or {}
    if (message.delivery_info or {}).get("exchange") in set(source_exchanges):
        return str(properties.get("user_id") or "")
    headers = message.headers or {}
    return str(headers.get(PUBLISHER_HEADER, properties.get("user_id")) or "")


class ReliableQueueConsumer(QueueConsumer):
    """nameko's queue consumer, but a message kombu cannot decode is handed to its
    entrypoint to park, instead of breaking the consume loop."""

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = partial(self._undecodable, provider)
        return consumers

    def _undecodable(self, provider, message, exc) -> None:
        provider.park_undecodable(message, exc)


class ReliableEventHandler(EventHandler):
    """`@event_handler(source, event_type)` with the outcomes described above."""

    queue_consumer = ReliableQueueConsumer()

    def __init__(
        self, source_service: str, event_type: str, from_source_only: bool = False, **kwargs: Any
    ):
        kwargs.setdefault("expected_exceptions", (Exception,))  # logged here, not by nameko
        self.from_source_only = from_source_only
        super().__init__(source_service, event_type, **kwargs)

    def sources(self) -> list[Source]:
        return [Source(self.source_service, self.event_type)]

    def retired_sources(self) -> list[Source]:
        """Bindings an earlier release declared and this one no longer wants: the topology
        step removes them (a queue keeps every binding it was ever given)."""
        return []

    def queue_name(self, service_name: str, method_name: str) -> str:
        """nameko's name for a service-pool event handler's queue."""
        return f"evt-{self.source_service}-{self.event_type}--{service_name}.{method_name}"

    def declared_queues(self, service_name: str, method_name: str) -> list[Queue]:
        """What this consumer needs to exist, for the topology step and for setup()."""
        name = self.queue_name(service_name, method_name)
        return [
            consumer_queue(service_name, name, self.sources()),
            dead_letter_queue(service_name, name),
        ]

    def setup(self) -> None:
        quiet_expected_worker_errors()
        service = self.container.service_name
        settings = Settings.from_config(service, self.container.config)
        self._amqp_uri = settings.amqp_uri
        self._service = service
        self._policy = RetryPolicy(
            max_attempts=settings.handler_max_attempts,
            base_delay=settings.handler_retry_base_seconds,
        )
        self._source_exchanges = {source_exchange(s.service).name for s in self.sources()}
        self._trusted = frozenset(settings.broker_user(s.service) for s in self.sources())
        self.queue, self._dead_queue = self.declared_queues(service, self.method_name)
        with get_connection(self._amqp_uri) as connection:
            reach_broker(connection, f"{service}.{self.method_name}")
            for queue in (self.queue, self._dead_queue, *delays.tiers(service)):
                queue.maybe_bind(connection)
                queue.declare()
        self.queue_consumer.register_provider(self)  # what nameko's Consumer.setup does

    def handle_message(self, body, message) -> None:
        if self.from_source_only:
            publisher = publisher_of(message, self._source_exchanges)
            if publisher not in self._trusted:
                self._refuse(message, publisher)
                return
        self._run(body, message, outage_attempts=0)

    def _refuse(self, message, publisher: str) -> None:
        """Park a control event its source did not publish: it is never handled, and a
        replay keeps its publisher, so it is refused again."""
        trusted = " or ".join(sorted(self._trusted))
        reason = f"refused: published by {publisher or 'an unknown user'}, not {trusted}"
        headers = {**(message.headers or {}), ERROR_HEADER: reason}
        try:
            self._delay(message, None, headers, self._dead_queue.name)
        except Exception:
            log.warning("could not park a refused message; returning it to %s", self.queue.name)
            self.queue_consumer.requeue_message(message)
            return
        log.error("%s on %s %s", _describe(message), self.queue.name, reason)
        instrumentation.EVENTS_REFUSED.labels(self.queue.name).inc()
        instrumentation.EVENTS_DEAD_LETTERED.labels(self.queue.name).inc()
        self.queue_consumer.ack_message(message)

    def _run(self, body, message, outage_attempts: int) -> None:
        handle_result = partial(self._after_work, body, message, outage_attempts)
        try:
            self.container.spawn_worker(
                self,
                (body,),
                {},
                context_data=self.unpack_message_headers(message),
                handle_result=handle_result,
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def _after_work(
        self,
        body,
        message,
        outage_attempts: int,
        worker_ctx: WorkerContext,
        result=None,
        exc_info=None,
    ):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
        elif is_infrastructure(exc_info[1]):
            self._wait_out(body, message, outage_attempts, exc_info[1])
        else:
            self._fail(body, message, exc_info)
        return result, exc_info

    def _wait_out(self, body, message, outage_attempts: int, error: BaseException) -> None:
        """Hold the message and run it again once the outage may be over."""
        delay = OUTAGE_BACK_OFF.spread(outage_attempts + 1, 0.2)
        level = logging.WARNING if outage_attempts == 0 else logging.DEBUG
        log.log(
            level,
            "event %s on %s waits for %s: %s",
            _event_id(body),
            self.queue.name,
            type(error).__name__,
            error,
        )
        instrumentation.EVENTS_DEFERRED.labels(self.queue.name, type(error).__name__).inc()

        def again():
            eventlet.sleep(delay)
            self._run(body, message, outage_attempts + 1)

        self.container.spawn_managed_thread(again, identifier=f"{self.queue.name}.outage")

    def _fail(self, body, message, exc_info) -> None:
        try:
            self._park(body, message, exc_info)
        except Exception:
            log.warning("could not park a failed message; returning it to %s", self.queue.name)
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)

    def _park(self, body, message, exc_info) -> None:
        attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 0)) + 1
        error = exc_info[1]
        decision = self._policy.decide(attempts, error)
        headers = {
            **(message.headers or {}),
            ATTEMPTS_HEADER: attempts,
            ERROR_HEADER: _summary(exc_info),
        }
        if isinstance(decision, DeadLetter):
            log.error(
                "event %s dead-lettered from %s (%s)",
                _event_id(body),
                self.queue.name,
                decision.reason,
                exc_info=exc_info,
            )
            self._delay(message, None, headers, self._dead_queue.name)
            instrumentation.EVENTS_DEAD_LETTERED.labels(self.queue.name).inc()
            return
        tier = delays.tier_at_least(decision.delay_seconds)
        log.warning(
            "event %s failed on %s (attempt %d, again in %ds): %s",
            _event_id(body),
            self.queue.name,
            attempts,
            tier,
            _summary(exc_info),
        )
        self._delay(message, tier, headers)
        instrumentation.EVENTS_RETRIED.labels(self.queue.name).inc()

    def park_undecodable(self, message, exc: BaseException) -> None:
        headers = {**(message.headers or {}), ERROR_HEADER: f"undecodable: {type(exc).__name__}"}
        try:
            self._delay(message, None, headers, self._dead_queue.name)
        except Exception:
            log.warning(
                "could not park an undecodable message; returning it to %s", self.queue.name
            )
            self.queue_consumer.requeue_message(message)
            return
        log.error("undecodable message dead-lettered from %s: %s", self.queue.name, exc)
        instrumentation.EVENTS_DEAD_LETTERED.labels(self.queue.name).inc()
        self.queue_consumer.ack_message(message)

    def _delay(self, message, tier: int | None, headers: Mapping, queue: str | None = None) -> None:
        """Send the message, as received, to `queue` (this consumer's own by default)
        after a delay tier (None: at once), noting who first published it."""
        delays.publish(
            self._amqp_uri,
            self._service,
            message.body,
            queue or self.queue.name,
            tier,
            {**headers, PUBLISHER_HEADER: publisher_of(message, self._source_exchanges)},
            content_type=message.content_type,
            content_encoding=message.content_encoding,
        )


class EventStream(ReliableEventHandler):
    """One queue for many event types, e.g. every `case.#` event a projection counts.

    `@event_stream("metrics-facts", Source("cases", "case.#"), Source("notify", ...))`;
    `retired=` names bindings of an earlier release to remove; `label=` the `event` label
    of the stream's metrics (its first source's pattern by default).
    """

    def __init__(
        self,
        queue_name: str,
        *sources: Source,
        retired: Iterable[Source] = (),
        label: str | None = None,
        **kwargs: Any,
    ):
        self._queue_name = queue_name
        self._sources = list(sources)
        self._retired = list(retired)
        super().__init__(sources[0].service, label or sources[0].pattern, **kwargs)

    def sources(self) -> list[Source]:
        return list(self._sources)

    def retired_sources(self) -> list[Source]:
        return list(self._retired)

    def queue_name(self, service_name: str, method_name: str) -> str:
        return f"{service_name}.{self._queue_name}"


class DeadlineHandler(ReliableEventHandler):
    """`@on_deadline("case.accept_due")`: the method receives the Deadline once it is due
    (lianxin.bus.deadlines). An early arrival is sent round the delay tiers again; a failure
    is retried and finally parked like any event."""

    def __init__(self, kind: str, **kwargs: Any):
        self.kind = kind
        super().__init__("", kind, **kwargs)

    def sources(self) -> list[Source]:
        return []  # reached through the delay tiers by name, bound to no exchange

    def queue_name(self, service_name: str, method_name: str) -> str:
        return deadlines.queue_name(service_name, self.kind)

    def handle_message(self, body, message) -> None:
        try:
            deadline = deadlines.Deadline.from_message(body)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            self.park_undecodable(message, exc)
            return
        wait = deadline.real_wait()
        if wait > delays.DELAY_TIERS_SECONDS[0]:
            self._send_round_again(message, wait)
        elif wait > 0:
            self._wait_until_due(deadline, message, wait)
        else:
            self._run(deadline, message, outage_attempts=0)

    def _wait_until_due(self, deadline, message, wait: float) -> None:
        """The last stretch, shorter than any tier, waited out here (unacknowledged: a
        process that dies meanwhile has it redelivered): under a simulated clock a tier's
        second is hours of domain time."""

        def when_due():
            eventlet.sleep(wait)
            self._run(deadline, message, outage_attempts=0)

        self.container.spawn_managed_thread(when_due, identifier=f"{self.queue.name}.due")

    def _send_round_again(self, message, remaining: float) -> None:
        tier = delays.tier_at_most(remaining) or delays.DELAY_TIERS_SECONDS[0]
        try:
            self._delay(message, tier, message.headers or {})
        except Exception:
            log.warning("could not delay a deadline; returning it to %s", self.queue.name)
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)


def _describe(message) -> str:
    """`event <id> (<type>)` of a message, read without trusting it: it may not decode, and
    what it says goes into one log line, printable and short."""
    try:
        body = json.loads(message.body)
    except (TypeError, ValueError):
        return "a message"
    if not isinstance(body, Mapping):
        return "a message"
    return f"event {_printable(body.get('event_id'))} ({_printable(body.get('type'))})"


def _printable(value: Any) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in str(value))[:64]


def _event_id(body: Any) -> str:
    if isinstance(body, deadlines.Deadline):
        return f"deadline {body.id}"
    return str(body.get("event_id", "?")) if isinstance(body, Mapping) else "?"


def _summary(exc_info) -> str:
    return "".join(traceback.format_exception_only(*exc_info[:2])).strip()[-500:]


class ExpectedWorkerErrors(logging.Filter):
    """Drops nameko's per-worker '(expected) error' records: our entrypoints log those
    failures themselves, once and without a traceback for a client's mistake."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("(expected) error handling worker")


def quiet_expected_worker_errors() -> None:
    logger = logging.getLogger("nameko.containers")
    if not any(isinstance(existing, ExpectedWorkerErrors) for existing in logger.filters):
        logger.addFilter(ExpectedWorkerErrors())


event_handler = ReliableEventHandler.decorator
event_stream = EventStream.decorator
on_deadline = DeadlineHandler.decorator
