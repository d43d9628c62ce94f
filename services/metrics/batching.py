"""Folding the facts of concurrent workers together: one write per partition (a
community's day, or its live totals) and batch instead of one per event.

Each worker (one message) hands its facts over and waits until the batches holding
them are stored; only then is its message acked (lianxin.bus.consumer), so a crash loses
nothing. A batch closes after a short window or when full. A failure fails the
waiters of that partition only; their messages are retried on their own.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import eventlet
from eventlet.event import Event
from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider

from services.metrics.compose import parts_of
from services.metrics.domain.totals import Fact

log = logging.getLogger(__name__)


@dataclass
class Waiting:
    fact: Fact
    done: Event


class FactBatches(DependencyProvider):
    def __init__(
        self, fold: Callable[..., None], window_seconds: float = 0.25, max_facts: int = 500
    ):
        """`fold(store, facts, batch_id)` stores one partition's facts of a batch.

        Each fold of a partition is a change under its lease (six commands on FerretDB)
        whatever the batch holds, so the window sets the cost: at 20 ms a case's facts
        took about one fold of their own under `make bench`; at 100 ms a fold carried
        the facts of a few cases, and at 20 reports/s over four communities metrics
        still sent 4 of a case's 36 commands more than at 250 ms (`python -m scripts.bench
        --phases throughput,latency`, two runs of each in turns). Counts show up that
        much later; nothing user-facing waits on them, and the workers waiting meanwhile
        stay under max_workers (100): about 5 events a case × 35 cases/s × 0.25 s ≈ 45."""
        self._fold = fold
        self._window = window_seconds
        self._max = max_facts

    def setup(self) -> None:
        self._queue: LightQueue = LightQueue()

    def start(self) -> None:
        store = parts_of(self.container).store
        self.container.spawn_managed_thread(lambda: self._run(store), identifier="fact-batches")

    def get_dependency(self, worker_ctx) -> Callable[[list[Fact]], None]:
        return self.count

    def count(self, facts: list[Fact]) -> None:
        """Block this worker until all its facts are stored; raise what storing one raised
        (the message is then retried, and the facts already stored count no more)."""
        waiting = [Waiting(fact, Event()) for fact in facts]
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
            for group in _by_partition(batch).values():
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
            self._fold(store, [waiting.fact for waiting in group], uuid.uuid4().hex)
        except Exception as exc:
            for waiting in group:
                waiting.done.send_exception(exc)
            return
        for waiting in group:
            waiting.done.send(None)


def _by_partition(batch: list[Waiting]) -> dict[str, list[Waiting]]:
    groups: dict[str, list[Waiting]] = {}
    for waiting in batch:
        groups.setdefault(waiting.fact.partition.id, []).append(waiting)
    return groups
