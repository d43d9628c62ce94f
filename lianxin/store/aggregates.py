"""Change one aggregate safely: lease, load, fenced save with outbox, publish, release.

Timers, HTTP actions and event handlers all change aggregates through
`AggregateStore.change`, so two of them never interleave on one document
(docs/architecture.md rules 2 and 3). It works on plain documents; a repository reaches it through
its typed face, lianxin.store.typed.Aggregates, and domain code never sees either.

Fencing. Every stored aggregate carries `_fence`, the token of the lease under
which it was last written, and every write is conditional on the fence read at
load (lianxin.store.engine). A holder that takes a stale lease over first rewrites the
fence to its own token, before it reads the state it will act on. So a holder
whose lease expired and was taken over writes nothing: its condition no longer
holds. It also clears no outbox and releases no lease but its own. On FerretDB,
where the condition costs a read of its own, a holder far from expiry
(`Leases.surely_held`) writes by `_id` alone: nobody can have taken it over yet.

Outbox. The events a write causes are stored with it, in `outbox`, and published
before the lease is released. A lease released normally therefore means "its
events are out": the next holder simply replaces the outbox with its own, and
no write is spent clearing it. A lease left behind (crash, failed publish) is
taken over by the next command or by the sweeper, which publishes the outbox
again if the stale holder was the last to write the document. Consumers are
idempotent, so a repeat is harmless.

Takeover. A `then` step (Change.save) that a crashed holder never ran cannot be
stored like an event, so a store that uses one names the repair, `on_takeover`,
and every taker runs it before anything else: a command's change and the
sweeper's alike. The sweeper releases the lease, so the command after it takes
nothing over and would not get another chance.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from lianxin import instrumentation
from lianxin.bus import outbox
from lianxin.bus.deadlines import Deadline
from lianxin.bus.envelope import Envelope
from lianxin.faults import fault_point
from lianxin.store.engine import ConditionalWrites, ConditionFailed
from lianxin.store.lease import Lease, LeaseBusy, Leases

log = logging.getLogger(__name__)

FENCE = "_fence"
CREATED_FENCE = "created:"  # the fence of an aggregate created without a lease
INTERNAL_FIELDS = (FENCE, outbox.OUTBOX)


class LeaseExpired(Exception):
    """The command outran its lease; nothing was written rather than risk a second writer."""


class LeaseLost(Exception):
    """Another writer took the aggregate over while this command ran; nothing was written."""


def visible(stored: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The document as commands see it: no fence, no outbox; a bare fence marker
    (left by a takeover of a document not yet created) counts as absent."""
    if stored is None:
        return None
    document = {key: value for key, value in stored.items() if key not in INTERNAL_FIELDS}
    return document if set(document) - {"_id"} else None


class Change:
    """What a command sees: the current document, whether its lease was taken over from a
    holder that crashed or stalled, and the one place to stage its new state."""

    def __init__(self, document: dict[str, Any] | None, taken_over: bool = False):
        self.document = document
        self.taken_over = taken_over
        self.staged: dict[str, Any] | None = None
        self.events: list[dict[str, Any]] = []
        self.then: Callable[[], None] | None = None
        self.removed = False

    def save(
        self,
        document: Mapping[str, Any],
        events: Iterable[Envelope | Deadline] = (),
        then: Callable[[], None] | None = None,
    ) -> None:
        """Stage the new state and its events. `then` runs after the write, still under the
        lease; if it fails (or the holder dies first), the lease is left behind and whoever
        takes it over runs the store's `on_takeover`, which must finish the step."""
        self.staged = {key: value for key, value in document.items() if key not in INTERNAL_FIELDS}
        self.events = [event.to_message() for event in events]
        self.then = then

    def remove(self) -> None:
        """Delete the aggregate instead, fenced like a write: an index entry whose subject
        is gone, so that the next one can be created by a plain unique insert
        (AggregateStore.create). A removal causes no events."""
        self.staged, self.events, self.removed = None, [], True


class Recoverable(Protocol):
    """What the outbox sweep needs of an aggregate store, plain or typed."""

    @property
    def collection(self) -> Collection: ...

    @property
    def leases(self) -> Leases: ...

    def recover(self) -> int: ...


def recover_all(stores: Iterable[Recoverable]) -> int:
    """A service's outbox sweep: one read of its (small) leases collection, then only the
    collections with a lease left behind are recovered, instead of two reads per
    collection every sweep. The stores share the service's leases. Returns aggregates
    recovered."""
    stores = list(stores)
    behind = stores[0].leases.collections_behind() if stores else set()
    recovered = 0
    for store in stores:
        if store.collection.name in behind:
            recovered += store.recover()
        else:
            instrumentation.OUTBOX_BACKLOG.labels(store.collection.name).set(0)
    return recovered


TakeoverRepair = Callable[[dict[str, Any] | None], None]


class AggregateStore:
    def __init__(
        self,
        collection: Collection,
        leases: Leases,
        writes: ConditionalWrites,
        publish: outbox.Publish,
        on_takeover: TakeoverRepair | None = None,
    ):
        """`on_takeover(document)` finishes what a crashed holder's `then` step may have
        left undone, given the document as the crashed holder left it. It runs under the
        lease on every takeover, so it must be idempotent; if it fails, the lease is left
        behind for the next taker."""
        self.collection = collection
        self._leases = leases
        self._writes = writes
        self._publish = publish
        self._on_takeover = on_takeover

    @contextmanager
    def change(self, aggregate_id: str) -> Iterator[Change]:
        lease = self._leases.acquire(
            self._key(aggregate_id), collection=self.collection.name, aggregate_id=aggregate_id
        )
        try:
            stored, fence, pending = self._load(lease, aggregate_id)
            if lease.taken_over and self._on_takeover is not None:
                self._on_takeover(visible(stored))
        except BaseException:
            self._leases.abandon(lease)  # whatever the stale holder left stays for the sweeper
            raise
        change = Change(visible(stored), taken_over=lease.taken_over)
        fault_point("aggregate.after_load")
        try:
            yield change
        except BaseException:
            self._finish(lease, pending)
            raise
        if change.removed:
            self._remove(lease, aggregate_id, fence, pending)
            pending = []
        elif change.staged is not None:
            written = [*pending, *change.events]
            try:
                self._write(lease, aggregate_id, fence, {**change.staged, outbox.OUTBOX: written})
            except (LeaseExpired, LeaseLost):
                # nothing was written; events inherited from a crashed holder still need
                # the sweeper, so their lease stays behind
                (self._leases.abandon if pending else self._leases.release)(lease)
                raise
            pending = written
            if change.then is not None:
                self._then(lease, change.then)
        self._finish(lease, pending)

    def recover(self) -> int:
        """Publish what crashed or failed commands left in their outboxes, and run the
        store's `on_takeover` for them. Returns aggregates recovered. Taking the abandoned
        lease over is what makes this safe beside live writers."""
        recovered = 0
        stale_leases = self._leases.stale(collection=self.collection.name)
        instrumentation.OUTBOX_BACKLOG.labels(self.collection.name).set(len(stale_leases))
        for stale in stale_leases:
            try:
                with self.change(stale["aggregate_id"]):
                    recovered += 1
            except (LeaseBusy, LeaseLost, LeaseExpired):
                continue  # a live writer got there first; it flushes on its way out
        self._leases.forget_spent_claims(collection=self.collection.name)
        return recovered

    @property
    def leases(self) -> Leases:
        return self._leases

    def create(self, aggregate_id: str, document: Mapping[str, Any]) -> bool:
        """Store an aggregate that does not exist yet, with one unique insert and no lease:
        for a first state that causes no events (an outbox needs the lease to be published
        safely). False if it exists. Its fence names no lease, so a change that loaded the
        aggregate as absent and would create it too fails its condition (LeaseLost, tried
        again) instead of overwriting it."""
        body = {key: value for key, value in document.items() if key not in INTERNAL_FIELDS}
        try:
            self.collection.insert_one(
                {**body, "_id": aggregate_id, FENCE: f"{CREATED_FENCE}{uuid.uuid4().hex}"}
            )
        except DuplicateKeyError:
            return False
        return True

    def find(self, aggregate_id: str) -> dict[str, Any] | None:
        return visible(self.collection.find_one({"_id": aggregate_id}))

    def _key(self, aggregate_id: str) -> str:
        return f"{self.collection.name}:{aggregate_id}"

    def _load(self, lease: Lease, aggregate_id: str) -> tuple[dict | None, str | None, list]:
        """The stored document, the fence to write against, and the events still to publish.

        After a takeover the fence is rewritten first, so the stale holder can no longer
        write; a write of its that slipped in before is then read, never lost."""
        for _ in range(5):
            stored = self.collection.find_one({"_id": aggregate_id})
            fence = stored.get(FENCE) if stored else None
            if not lease.taken_over:
                return stored, fence, []
            last_writer_crashed = stored is not None and fence in (lease.stale_token, None)
            pending = outbox.pending(stored) if last_writer_crashed else []
            body = {key: value for key, value in (stored or {}).items() if key != "_id"}
            try:
                self._writes.replace_if(
                    self.collection, aggregate_id, FENCE, fence, {**body, FENCE: lease.token}
                )
            except ConditionFailed:
                continue  # the stale holder wrote meanwhile: read again
            return stored, lease.token, pending
        raise LeaseLost(lease.key)

    def _write(self, lease: Lease, aggregate_id: str, fence: str | None, document: dict) -> None:
        if self._leases.remaining(lease) <= 0:
            raise LeaseExpired(lease.key)
        fault_point("aggregate.before_write")
        fenced = {**document, FENCE: lease.token}
        try:
            if fence is not None and self._leases.surely_held(lease):
                self._replace_held(lease, aggregate_id, fenced)
            else:
                self._writes.replace_if(self.collection, aggregate_id, FENCE, fence, fenced)
        except ConditionFailed:
            raise LeaseLost(lease.key) from None
        except BaseException:
            self._leases.abandon(lease)  # the write may have landed: leave it to the sweeper
            raise

    def _replace_held(self, lease: Lease, aggregate_id: str, document: dict) -> None:
        """FerretDB, far from expiry: nobody can have taken the lease over, so nobody has
        rewritten the fence, and the by-`_id` read that would check it is skipped (one of
        the five commands of a change). Same window as the release shortcut
        (lianxin.store.lease)."""
        body = {**document, "_id": aggregate_id}
        replaced = self.collection.replace_one({"_id": aggregate_id}, body)
        if replaced.matched_count == 0:
            raise ConditionFailed(f"{aggregate_id} is gone")

    def _remove(self, lease: Lease, aggregate_id: str, fence: str | None, pending: list) -> None:
        """The fenced delete: only while the document still carries the fence read at load
        (this lease's, after a takeover). Events a crashed holder left in the document
        are published before it goes; the lease is released by the caller."""
        if self._leases.remaining(lease) <= 0:
            (self._leases.abandon if pending else self._leases.release)(lease)
            raise LeaseExpired(lease.key)
        try:
            for message in pending:
                self._publish(message)
            fault_point("aggregate.before_write")
            if fence is not None and self._leases.surely_held(lease):
                deleted = self.collection.delete_one({"_id": aggregate_id}).deleted_count == 1
            else:
                deleted = self._writes.delete_if(self.collection, aggregate_id, FENCE, fence)
        except BaseException:
            self._leases.abandon(lease)  # the sweeper publishes or removes it again
            raise
        if not deleted:
            (self._leases.abandon if pending else self._leases.release)(lease)
            raise LeaseLost(lease.key)

    def _then(self, lease: Lease, step: Callable[[], None]) -> None:
        try:
            step()
        except BaseException:
            self._leases.abandon(lease)
            raise

    def _finish(self, lease: Lease, events: list[dict[str, Any]]) -> None:
        if events:
            fault_point("outbox.before_publish")
            if self._leases.remaining(lease) <= 0:
                self._leases.abandon(lease)  # whoever takes it over publishes them
                return
            try:
                for message in events:
                    self._publish(message)
            except outbox.LeftToService:
                self._leases.abandon(lease)  # the owning service's sweeper publishes them
                return
            except Exception as exc:
                log.warning(
                    "outbox of %s not published (%s: %s); left for the sweeper",
                    lease.key,
                    type(exc).__name__,
                    exc,
                )
                instrumentation.OUTBOX_PUBLISH_FAILURES.inc()
                self._leases.abandon(lease)
                return
            fault_point("outbox.after_publish")
            instrumentation.EVENTS_PUBLISHED.inc(len(events))
        fault_point("lease.before_release")
        self._leases.release(lease)
