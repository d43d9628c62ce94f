"""Typed aggregates: the one way a repository keeps its aggregates (docs/architecture.md rules 2–4).

`Aggregates[T]` is one kind of aggregate in one collection: a case, a delivery, a day's
totals. A `Codec[T]` turns the domain value into its document and back, and the
repository never handles the lease, the fence or the outbox: `change(id)` takes the
lease, hands over the current value, and saves the new one with its events in one
fenced write, published before the lease is released (lianxin.store.aggregates does all
that, on documents; this is its face in the domain's types).

Idempotency is part of it. A change that applies an event names it
(`save(..., applied=event_id)`); the id is stored in the same write as the effect, among
the last few the aggregate applied, so a redelivered event is recognised
(`change.has_applied`) and changes nothing (lianxin.store.idempotency). The codec never
sees that record, and a save keeps it.

The same repository runs on MongoDB, on FerretDB, and in memory (lianxin.store.memory),
built from a StoreContext of either; tests/shared/test_store_contract.py holds all three
to the same contract.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pymongo.collection import Collection

from lianxin.bus.deadlines import Deadline
from lianxin.bus.envelope import Envelope
from lianxin.store.aggregates import AggregateStore, Change, visible
from lianxin.store.idempotency import APPLIED, record_applied
from lianxin.store.lease import Leases
from lianxin.store.repository import StoreContext

T = TypeVar("T")
Sort = list[tuple[str, int]]


@dataclass(frozen=True)
class Codec(Generic[T]):
    """How one kind of aggregate is stored: its value as a document, and back. The
    document's `_id` is the aggregate's id whatever `to_document` says; `from_document`
    gets it."""

    to_document: Callable[[T], Mapping[str, Any]]
    from_document: Callable[[Mapping[str, Any]], T]


# Plain documents, for what has no domain type of its own (a replica, a small index record)
DOCUMENTS: Codec[dict[str, Any]] = Codec(dict, dict)


@dataclass(frozen=True)
class AppliedEvents:
    """Where an aggregate keeps the ids of the events it applied, and how many: enough for
    the redeliveries that may still come, never a list that grows with the events."""

    field: str = APPLIED
    keep: int = 20


LAST_APPLIED = AppliedEvents()


class AggregateChange(Generic[T]):
    """One aggregate under its lease: `value` (None when it does not exist yet), whether
    the lease was `taken_over` from a holder that crashed or stalled, the event ids it has
    `applied`, and the one place to save or remove it."""

    def __init__(self, change: Change, codec: Codec[T], applied: AppliedEvents):
        self._change = change
        self._codec = codec
        self._applied = applied
        document = change.document
        self.value: T | None = _decode(codec, applied, document) if document else None
        self.applied: tuple[str, ...] = tuple((document or {}).get(applied.field, ()))
        self.taken_over: bool = change.taken_over

    def has_applied(self, event_id: str) -> bool:
        return event_id in self.applied

    def save(
        self,
        value: T,
        events: Iterable[Envelope | Deadline] = (),
        *,
        applied: str | None = None,
        then: Callable[[], None] | None = None,
    ) -> None:
        """Stage the new value and the events (and deadlines) it causes; `applied` is the
        id of the event or deadline this change applies. `then` runs after the write,
        still under the lease; the aggregates' `on_takeover` must finish it for a holder
        that died first (lianxin.store.aggregates)."""
        document = dict(self._codec.to_document(value))
        record = self._applied
        if self.applied or applied is not None:
            document[record.field] = list(self.applied)
        if applied is not None:
            document = record_applied(document, applied, record.keep, record.field)
        self._change.save(document, events, then)

    def remove(self) -> None:
        """Delete the aggregate, fenced like a write; it causes no events."""
        self._change.remove()


class Aggregates(Generic[T]):
    """One kind of aggregate, in the collection of that name, stored by `codec`.

    `on_takeover(value)` finishes what a holder's `then` step left undone when it crashed,
    given the value it left (None if it left none); it runs under the lease on every
    takeover, the outbox sweeper's included, so it must be idempotent."""

    def __init__(
        self,
        context: StoreContext,
        collection: str,
        codec: Codec[T],
        *,
        on_takeover: Callable[[T | None], None] | None = None,
        applied: AppliedEvents = LAST_APPLIED,
    ):
        self._codec = codec
        self._applied = applied
        repair = None
        if on_takeover is not None:

            def repair(document: dict[str, Any] | None) -> None:
                on_takeover(self._decode(document))

        self.store: AggregateStore = context.aggregates(collection, on_takeover=repair)

    @property
    def collection(self) -> Collection:
        return self.store.collection

    @property
    def leases(self) -> Leases:
        return self.store.leases

    @contextmanager
    def change(self, aggregate_id: str) -> Iterator[AggregateChange[T]]:
        """The aggregate under its lease (lianxin.store.lease.LeaseBusy once the wait for
        another writer runs out; LeaseLost or LeaseExpired when nothing was written)."""
        with self.store.change(aggregate_id) as change:
            yield AggregateChange(change, self._codec, self._applied)

    def get(self, aggregate_id: str) -> T | None:
        """The aggregate as last written, read by `_id` with no lease."""
        return self._decode(self.store.find(aggregate_id))

    def create(self, aggregate_id: str, value: T) -> bool:
        """Store an aggregate that does not exist yet, by one unique insert and no lease:
        for a first state that causes no events. False if it exists already."""
        return self.store.create(aggregate_id, self._codec.to_document(value))

    def query(
        self, where: Mapping[str, Any] | None = None, *, sort: Sort | None = None, limit: int = 0
    ) -> list[T]:
        """The aggregates a filter finds, in `sort` order, at most `limit` (0: all): for
        listings, reports and admin work, each filter with its index (rule 8 of
        docs/architecture.md)."""
        found = self.collection.find(dict(where or {}), sort=sort, limit=limit)
        decoded = (self._decode(visible(document)) for document in found)
        return [value for value in decoded if value is not None]

    def count(self, where: Mapping[str, Any] | None = None) -> int:
        return self.collection.count_documents(dict(where or {}))

    def recover(self) -> int:
        """Publish what crashed or failed changes left in their outboxes (the sweep's step)."""
        return self.store.recover()

    def _decode(self, document: Mapping[str, Any] | None) -> T | None:
        return _decode(self._codec, self._applied, document) if document else None


def _decode(codec: Codec[T], applied: AppliedEvents, document: Mapping[str, Any]) -> T:
    return codec.from_document({k: v for k, v in document.items() if k != applied.field})
