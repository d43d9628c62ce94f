"""Change one aggregate safely: lease, load, save with outbox, publish, release.

Timers, HTTP actions and event handlers all change aggregates through
`AggregateStore.change`, so two of them never interleave on one document
(DESIGN.md rules 2 and 3). Domain code never sees this module; each
service's store.py wraps it with the service's own load/save types.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from pymongo.collection import Collection

from lianxin import instrumentation, outbox
from lianxin.envelope import Envelope
from lianxin.faults import fault_point
from lianxin.lease import Lease, LeaseBusy, Leases

log = logging.getLogger(__name__)


class LeaseExpired(Exception):
    """The command outran its lease; its write is dropped rather than risk a second writer."""


class Change:
    """What a command sees: the current document, and the one place to stage its new state."""

    def __init__(self, document: dict[str, Any] | None):
        self.document = document
        self.staged: dict[str, Any] | None = None

    def save(self, document: dict[str, Any], events: Iterable[Envelope] = ()) -> None:
        base = {**document, outbox.OUTBOX: outbox.pending(self.document)}
        self.staged = outbox.with_events(base, events)


class AggregateStore:
    def __init__(self, collection: Collection, leases: Leases, publish: outbox.Publish):
        self.collection = collection
        self._leases = leases
        self._publish = publish

    @contextmanager
    def change(self, aggregate_id: str) -> Iterator[Change]:
        lease = self._leases.acquire(
            self._key(aggregate_id), collection=self.collection.name, aggregate_id=aggregate_id
        )
        change = Change(self.collection.find_one({"_id": aggregate_id}))
        try:
            yield change
            if change.staged is not None:
                self._write(lease, aggregate_id, change.staged)
        except BaseException:
            self._finish(lease, aggregate_id, change.document)
            raise
        self._finish(lease, aggregate_id, change.staged or change.document)

    def recover(self) -> int:
        """Publish what crashed or failed commands left in their outboxes. Returns aggregates
        recovered. Taking the abandoned lease over is what makes this safe beside live writers."""
        recovered = 0
        for stale in self._leases.stale(collection=self.collection.name):
            try:
                with self.change(stale["aggregate_id"]):
                    recovered += 1
            except LeaseBusy:
                continue  # a live writer got there first; it flushes on its way out
        return recovered

    def find(self, aggregate_id: str) -> dict[str, Any] | None:
        return self.collection.find_one({"_id": aggregate_id})

    def _key(self, aggregate_id: str) -> str:
        return f"{self.collection.name}:{aggregate_id}"

    def _write(self, lease: Lease, aggregate_id: str, document: dict[str, Any]) -> None:
        if self._leases.remaining(lease) <= 0:
            raise LeaseExpired(lease.key)
        fault_point("aggregate.before_write")
        self.collection.replace_one({"_id": aggregate_id}, document, upsert=True)

    def _finish(self, lease: Lease, aggregate_id: str, document: dict[str, Any] | None) -> None:
        events = outbox.pending(document)
        if not events:
            self._leases.release(lease)
            return
        fault_point("outbox.before_publish")
        try:
            for message in events:
                self._publish(message)
            fault_point("outbox.after_publish")
            self.collection.update_one({"_id": aggregate_id}, {"$set": {outbox.OUTBOX: []}})
        except Exception:
            log.exception("outbox of %s not published; left for the sweeper", lease.key)
            instrumentation.OUTBOX_PUBLISH_FAILURES.inc()
            self._leases.abandon(lease)
            return
        instrumentation.EVENTS_PUBLISHED.inc(len(events))
        self._leases.release(lease)
