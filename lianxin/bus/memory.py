"""The broker's in-memory twin for tests: it keeps what the outbox publishes.

A StoreContext's `publish` is where every outbox goes (lianxin.bus.outbox.OutboxPublisher
in a service). Given a MemoryPublisher instead, a handler test runs with no broker and
asserts the events and deadlines a change caused, in the order they were published.
Each message is kept as a consumer would read it: through kombu's JSON, as the real
publisher sends it. Like the real one, it can refuse (as RabbitMQ refuses a mandatory
event no queue is bound to), so a test can leave an outbox behind for the sweeper.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from kombu.utils.json import dumps, loads
from nameko.amqp.publish import UndeliverableMessage

from lianxin.bus.deadlines import Deadline, is_deadline


class MemoryPublisher:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.refusing = False  # while set, every publish raises as an unroutable one does
        self._lock = threading.Lock()

    def __call__(self, message: Mapping[str, Any]) -> None:
        if self.refusing:
            raise UndeliverableMessage()
        with self._lock:
            self.messages.append(loads(dumps(dict(message))))

    @property
    def events(self) -> list[dict[str, Any]]:
        """The events published, oldest first (deadlines left out)."""
        return [message for message in self.messages if not is_deadline(message)]

    @property
    def deadlines(self) -> list[Deadline]:
        """The deadlines set, oldest first."""
        return [Deadline.from_message(message) for message in self.messages if is_deadline(message)]

    def event_types(self) -> list[str]:
        return [event["type"] for event in self.events]

    def take(self) -> list[dict[str, Any]]:
        """Every message published since the last take, oldest first, as a queue is drained."""
        with self._lock:
            taken, self.messages = self.messages, []
        return taken
