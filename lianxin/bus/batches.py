"""Folding what concurrent workers receive together: one write per partition (a community's
day of statistics, a community's case board) and batch instead of one per event.

Each worker (one message) hands its items over and waits until the batches holding them
are stored; only then is its message acked (lianxin.bus.consumer), so a crash loses
nothing. A batch closes after a short window or when full. A failure fails the waiters of
that partition only; their messages are retried on their own.

`Batches(fold, partition_of)` is a dependency of a service: `fold(store, items, batch_id)`
stores one partition's items of a batch (the service's repository, from its PartsProvider);
`partition_of(item)` names the partition an item belongs to. Each fold of a partition is
typically a change under its lease (six commands on FerretDB) whatever the batch holds, so
the window sets the cost: at 20 ms a case's events took about one fold of their own under
`make bench`; at 250 ms a fold carries the events of several cases. What is folded shows
up that much later; nothing a person waits on is folded this way, and the workers waiting
meanwhile stay under max_workers (100): about 5 events a case × 35 cases/s × 0.25 s ≈ 45.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import eventlet
from eventlet.event import Event
from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider

from lianxin.store.repository import parts_of

log = logging.getLogger(__name__)


@dataclass
class Waiting:
    item: Any
    done: Event


class Batches(DependencyProvider):
    def __init__(
        self,
        fold: Callable[[Any, list[Any], str], Any],
        partition_of: Callable[[Any], Hashable],
        window_seconds: float = 0.25,
        max_items: int = 500,
    ):
        self._fold = fold
        self._partition_of = partition_of
        self._window = window_seconds
        self._max = max_items

    def setup(self) -> None:
        self._queue: LightQueue = LightQueue()

    def start(self) -> None:
        store = parts_of(self.container).store
        self.container.spawn_managed_thread(lambda: self._run(store), identifier="batches")

    def get_dependency(self, worker_ctx) -> Callable[[list[Any]], None]:
        return self.add

    def add(self, items: list[Any]) -> None:
        """Block this worker until all its items are stored; raise what storing one raised
        (the message is then retried, and the items already stored count no more)."""
        waiting = [Waiting(item, Event()) for item in items]
        for each in waiting:
            self._queue.put(each)
        failures = []
        for each in waiting:
            try:
                each.done.wait()
            except Exception as exc:
                failures.append(exc)
        if failures:
            raise failures[0]

    def _run(self, store) -> None:
        while True:
            batch = self._collect()
            for group in self._by_partition(batch).values():
                self._store(store, group)

    def _collect(self) -> list[Waiting]:
        batch = [self._queue.get()]
        deadline = eventlet.hubs.get_hub().clock() + self._window
        while len(batch) < self._max:
            remaining = deadline - eventlet.hubs.get_hub().clock()
            if remaining <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=remaining))
            except Empty:
                break
        return batch

    def _store(self, store, group: list[Waiting]) -> None:
        try:
            self._fold(store, [waiting.item for waiting in group], uuid.uuid4().hex)
        except Exception as exc:
            for waiting in group:
                waiting.done.send_exception(exc)
            return
        for waiting in group:
            waiting.done.send(None)

    def _by_partition(self, batch: list[Waiting]) -> dict[Hashable, list[Waiting]]:
        groups: dict[Hashable, list[Waiting]] = {}
        for waiting in batch:
            groups.setdefault(self._partition_of(waiting.item), []).append(waiting)
        return groups
