"""The aggregate store's contract, held on every backend: memory, FerretDB and MongoDB
(tests/backends.py). No lost update, no lost event, nothing doubled.

Through the typed face every repository uses (lianxin.store.typed.Aggregates): one
writer at a time, the takeover of an expired lease, fenced writes and removals, the
outbox published once after the write and again by the sweeper after a crash, creation
by unique insert, the applied-events record, and the takeover repair. The fencing tests
stall writer A at a fault point, move the lease clock past A's TTL, let writer B take
the aggregate over and finish, then let A go on. What only FerretDB or the real broker
show stays in test_aggregates.py.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

import pytest

from lianxin.bus.envelope import Envelope
from lianxin.bus.outbox import leave_to_service
from lianxin.faults import armed
from lianxin.store.aggregates import FENCE, LeaseExpired, LeaseLost, recover_all
from lianxin.store.engine import ConditionalWrites
from lianxin.store.lease import LeaseBusy, Leases
from lianxin.store.typed import Aggregates, AppliedEvents, Codec
from tests.backends import Backend, FakeClock
from tests.shared.conftest import CountedReads

TTL = 10.0


@dataclass(frozen=True)
class Counter:
    value: int


COUNTERS = Codec[Counter](
    to_document=lambda counter: {"value": counter.value},
    from_document=lambda document: Counter(document["value"]),
)


def counters(backend: Backend, clock: FakeClock | None = None, **options) -> Aggregates[Counter]:
    context = backend.context(
        lease_ttl_seconds=TTL,
        lease_wait_seconds=options.pop("wait", 30),
        publish=options.pop("publish", None),
        **({"clock": clock} if clock else {}),
    )
    return Aggregates(context, options.pop("name", "counters"), COUNTERS, **options)


def increment(store: Aggregates[Counter], aggregate_id: str) -> int:
    with store.change(aggregate_id) as change:
        value = (change.value.value if change.value else 0) + 1
        event = Envelope("counter.incremented", {"value": value}, correlation_id="test")
        change.save(Counter(value), [event])
    return value


def remove(store: Aggregates[Counter], aggregate_id: str) -> None:
    with store.change(aggregate_id) as change:
        change.remove()


def published_values(backend: Backend) -> list[int]:
    return sorted(message["payload"]["value"] for message in backend.published.take())


def stored(backend: Backend, aggregate_id: str) -> dict | None:
    return backend.database["counters"].find_one({"_id": aggregate_id})


def leases_left(backend: Backend) -> int:
    return backend.database["leases"].count_documents({})


class Crash(Exception):
    pass


def crash():
    raise Crash


# One writer at a time, and the takeover of a lease its holder left


def test_concurrent_commands_on_one_aggregate_lose_no_update_and_publish_each_event_once(
    backend,
):
    store = counters(backend)
    threads, per_thread = 8, 15

    def work():
        for _ in range(per_thread):
            increment(store, "X")

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)

    assert stored(backend, "X")["value"] == threads * per_thread
    assert published_values(backend) == list(range(1, threads * per_thread + 1))
    assert leases_left(backend) == 0


def test_a_change_waits_for_the_holder_and_gives_up_busy_while_it_holds_on(backend):
    store = counters(backend, wait=0.2)
    held = store.leases.acquire("counters:B")
    with pytest.raises(LeaseBusy):
        increment(store, "B")
    assert stored(backend, "B") is None
    store.leases.release(held)
    assert increment(store, "B") == 1


def test_a_change_takes_over_a_lease_its_holder_left_and_publishes_what_it_left(backend, clock):
    store = counters(backend, clock)
    increment(store, "E")
    with armed("outbox.before_publish", crash), pytest.raises(Crash):
        increment(store, "E")  # wrote 2, died before publishing: its lease stays
    assert published_values(backend) == [1]
    clock.advance(TTL + 1)
    with store.change("E") as change:
        assert change.taken_over and change.value == Counter(2)
    assert published_values(backend) == [2]  # the taker published the dead holder's event
    with store.change("E") as change:
        assert not change.taken_over
    assert leases_left(backend) == 0


# The outbox


def test_an_outbox_that_cannot_be_published_stays_and_is_published_by_recovery(backend):
    store = counters(backend)
    backend.published.refusing = True  # as the broker refuses an event no queue is bound to
    increment(store, "Y")

    document = stored(backend, "Y")
    assert document["value"] == 1
    assert [event["type"] for event in document["outbox"]] == ["counter.incremented"]
    assert len(store.leases.stale(collection="counters")) == 1

    backend.published.refusing = False
    assert store.recover() == 1
    assert [event["payload"] for event in backend.published.take()] == [{"value": 1}]
    assert store.leases.stale(collection="counters") == []
    assert store.recover() == 0
    assert backend.published.take() == []  # a released lease means published: never again


class CountedFinds(CountedReads):
    """A collection that counts its `find` queries as well."""

    def __init__(self, collection):
        super().__init__(collection)
        self.finds = 0

    def find(self, *args, **kwargs):
        self.finds += 1
        return self._collection.find(*args, **kwargs)


def test_the_sweep_reads_the_leases_once_and_recovers_only_where_a_lease_was_left(backend):
    context = backend.context(lease_ttl_seconds=TTL)
    leases_collection = CountedFinds(backend.database["leases"])
    context = replace(context, leases=Leases(leases_collection, context.writes, ttl_seconds=TTL))
    quiet, stuck = (Aggregates(context, name, COUNTERS) for name in ("quiet", "stuck"))
    assert recover_all((quiet, stuck)) == 0
    assert leases_collection.finds == 1  # one look, not two per collection

    backend.published.refusing = True  # both outboxes are refused and left behind
    increment(quiet, "Q")
    increment(stuck, "S")
    backend.database["leases"].delete_one({"_id": "quiet:Q"})  # as if quiet's had been published
    backend.published.refusing = False

    leases_collection.finds = 0
    assert recover_all((quiet, stuck)) == 1
    assert [event["payload"] for event in backend.published.take()] == [{"value": 1}]
    assert leases_collection.finds == 3  # the look, then stuck's stale leases and claims
    assert leases_left(backend) == 0


def test_a_normal_release_means_the_next_writer_replaces_the_outbox_without_republishing(
    backend,
):
    store = counters(backend)
    increment(store, "Z")
    increment(store, "Z")
    assert published_values(backend) == [1, 2]
    outbox = stored(backend, "Z")["outbox"]
    assert [event["payload"]["value"] for event in outbox] == [2]


def test_a_change_left_to_the_service_is_published_by_the_services_own_sweep_once(backend):
    """The admin CLI changes a service's data but may not publish as the service: its change
    publishes nothing and leaves its lease behind, expired, for the service's sweeper."""
    cli = counters(backend, publish=leave_to_service)
    assert increment(cli, "K") == 1  # the change is stored and the caller goes on
    assert backend.published.take() == []
    service = counters(backend)
    assert service.recover() == 1  # its next sweep, at once: the lease is already expired
    assert published_values(backend) == [1]
    assert service.recover() == 0
    assert backend.published.take() == []


# Fenced writes: a holder that lost its lease writes nothing


def stall_then(clock: FakeClock, takeover):
    """The fault action: A stalls past its TTL while B takes over and finishes."""

    def action():
        clock.advance(TTL + 1)
        takeover()

    return action


@pytest.fixture
def fenced(backend, clock) -> Aggregates[Counter]:
    return counters(backend, clock)


def test_a_writer_stalled_before_its_write_writes_nothing_after_a_takeover(fenced, backend, clock):
    increment(fenced, "F")  # value 1, published, lease released
    b_increments = stall_then(clock, lambda: increment(fenced, "F"))
    with armed("aggregate.before_write", b_increments), pytest.raises(LeaseLost):
        increment(fenced, "F")  # A read 1 and would write 2 over B's 2
    assert stored(backend, "F")["value"] == 2
    assert published_values(backend) == [1, 2]
    assert increment(fenced, "F") == 3  # A's caller retries: nothing was lost
    assert leases_left(backend) == 0


def test_a_writer_stalled_after_load_sees_its_lease_expired_and_writes_nothing(
    fenced, backend, clock
):
    increment(fenced, "F")
    b_increments = stall_then(clock, lambda: increment(fenced, "F"))
    with armed("aggregate.after_load", b_increments), pytest.raises(LeaseExpired):
        increment(fenced, "F")
    assert stored(backend, "F")["value"] == 2
    assert published_values(backend) == [1, 2]
    assert leases_left(backend) == 0


def test_a_writer_stalled_before_publishing_leaves_its_events_to_the_taker(fenced, backend, clock):
    increment(fenced, "F")
    with armed("outbox.before_publish", stall_then(clock, lambda: increment(fenced, "F"))):
        increment(fenced, "F")  # A wrote 2; B takes over, publishes A's 2, writes 3
    assert stored(backend, "F")["value"] == 3
    assert published_values(backend) == [1, 2, 3]  # A did not publish again
    assert leases_left(backend) == 0


def test_a_writer_stalled_after_publishing_releases_no_one_elses_lease(fenced, backend, clock):
    increment(fenced, "F")
    b_lease = {}

    def b_takes_over_and_holds():
        clock.advance(TTL + 1)
        b_lease["lease"] = fenced.leases.acquire("counters:F")

    with armed("outbox.after_publish", b_takes_over_and_holds):
        increment(fenced, "F")  # A wrote and published 2, then stalled before releasing
    held = backend.database["leases"].find_one({"_id": "counters:F"})
    assert held["token"] == b_lease["lease"].token  # A's release left B's lease alone
    fenced.leases.release(b_lease["lease"])
    assert published_values(backend) == [1, 2]


def test_a_crash_between_publish_and_release_republishes_and_nothing_else(fenced, backend, clock):
    increment(fenced, "F")
    with armed("lease.before_release", stall_then(clock, lambda: fenced.recover())):
        increment(fenced, "F")
    # the sweeper took the lease over; A had written last, so its events went out again
    assert published_values(backend) == [1, 2, 2]
    assert stored(backend, "F")["value"] == 2
    assert leases_left(backend) == 0


def test_a_takeover_fences_even_a_document_that_does_not_exist_yet(fenced, backend, clock):
    sweeper = stall_then(clock, lambda: fenced.recover())
    with armed("aggregate.before_write", sweeper), pytest.raises(LeaseLost):
        increment(fenced, "N")  # A would create N after the sweeper took its lease
    assert fenced.get("N") is None  # the fence marker the takeover left is not a document
    assert fenced.query() == []
    assert increment(fenced, "N") == 1
    assert published_values(backend) == [1]


def test_a_stale_holders_write_that_lands_before_the_fence_is_read_not_lost(backend, clock):
    store = counters(backend, clock)
    increment(store, "R")
    a = store.leases.acquire("counters:R")
    clock.advance(TTL + 1)
    before = stored(backend, "R")
    writes = ConditionalWrites(backend.engine)

    def a_writes_late():  # between B's read and B's fence rewrite
        seven = Envelope("counter.incremented", {"value": 7}, correlation_id="test")
        late = {**before, "value": 7, "outbox": [seven.to_message()], FENCE: a.token}
        writes.replace_if(backend.database["counters"], "R", FENCE, before[FENCE], late)

    original_find = store.collection.find_one
    calls = {"n": 0}

    def find_one_then_race(*args, **kwargs):
        calls["n"] += 1
        result = original_find(*args, **kwargs)
        if calls["n"] == 1:
            a_writes_late()
        return result

    store.collection.find_one = find_one_then_race
    try:
        assert increment(store, "R") == 8  # B re-read after its fence rewrite failed
    finally:
        del store.collection.find_one
    assert published_values(backend) == [1, 7, 8]  # A's event was not lost


# Creation by unique insert, and fenced removal


def test_create_stores_a_new_aggregate_once_and_a_later_change_builds_on_it(backend):
    store = counters(backend)
    assert store.create("C", Counter(5)) is True
    assert store.create("C", Counter(9)) is False  # a redelivery: the first stays
    assert store.get("C") == Counter(5)
    assert store.store.find("C") == {"_id": "C", "value": 5}
    assert increment(store, "C") == 6
    assert leases_left(backend) == 0


def test_a_change_that_found_nothing_does_not_overwrite_an_aggregate_created_meanwhile(backend):
    store = counters(backend)
    creates = lambda: store.create("D", Counter(40))  # noqa: E731
    with armed("aggregate.after_load", creates), pytest.raises(LeaseLost):
        increment(store, "D")  # loaded D as absent, would write 1 over the 40
    assert store.store.find("D") == {"_id": "D", "value": 40}
    assert increment(store, "D") == 41  # its retry builds on what was created
    assert published_values(backend) == [41]


def test_a_removed_aggregate_is_gone_and_can_be_created_again(backend):
    store = counters(backend)
    increment(store, "G")
    remove(store, "G")
    assert stored(backend, "G") is None
    assert store.create("G", Counter(10)) is True
    assert leases_left(backend) == 0


def test_a_remover_stalled_before_its_delete_deletes_nothing_after_a_takeover(
    fenced, backend, clock
):
    increment(fenced, "F")
    b_increments = stall_then(clock, lambda: increment(fenced, "F"))
    with armed("aggregate.before_write", b_increments), pytest.raises(LeaseLost):
        remove(fenced, "F")  # A read the document at 1; B wrote 2 meanwhile
    assert stored(backend, "F")["value"] == 2
    assert published_values(backend) == [1, 2]
    assert leases_left(backend) == 0


# Idempotency: the events an aggregate applied


def apply_once(store: Aggregates[Counter], aggregate_id: str, event_id: str) -> bool:
    """An event handler's change: its effect and the record that it applied the event
    land in one write."""
    with store.change(aggregate_id) as change:
        if change.has_applied(event_id):
            return False
        value = (change.value.value if change.value else 0) + 1
        event = Envelope("counter.incremented", {"value": value}, correlation_id=event_id)
        change.save(Counter(value), [event], applied=event_id)
        return True


def test_an_applied_event_id_makes_its_redelivery_change_nothing(backend):
    store = counters(backend, applied=AppliedEvents(keep=3))
    assert apply_once(store, "A", "E-1") is True
    assert apply_once(store, "A", "E-1") is False  # redelivered
    for event_id in ("E-2", "E-3", "E-4"):
        assert apply_once(store, "A", event_id) is True
    assert store.get("A") == Counter(4)
    assert published_values(backend) == [1, 2, 3, 4]  # the redelivery published nothing
    assert stored(backend, "A")["applied_events"] == ["E-2", "E-3", "E-4"]  # the last few only
    increment(store, "A")  # a change that applies no event keeps the record
    with store.change("A") as change:
        assert change.applied == ("E-2", "E-3", "E-4") and change.has_applied("E-4")
        assert change.value == Counter(5)  # the codec never sees the record


# The takeover repair


def test_every_taker_runs_the_takeover_repair_the_sweeper_included(backend, clock):
    """A `then` step a crashed holder never ran is finished by whoever takes its lease
    over: the sweeper releases the lease, so the next command takes nothing over."""
    repaired: list[Counter | None] = []
    store = counters(backend, clock, on_takeover=repaired.append)

    def crash_in_then():
        raise RuntimeError("the holder dies after its write")

    def write_then_crash(value: int) -> None:
        with pytest.raises(RuntimeError), store.change("T") as change:
            change.save(Counter(value), then=crash_in_then)

    increment(store, "T")
    assert repaired == []  # a lease acquired normally repairs nothing
    write_then_crash(2)
    assert store.recover() == 1  # its lease was left expired: no clock needed
    assert repaired == [Counter(2)]
    assert increment(store, "T") == 3
    write_then_crash(4)
    clock.advance(TTL + 1)
    assert increment(store, "T") == 5  # a command's takeover repairs too
    assert repaired == [Counter(2), Counter(4)]
    assert leases_left(backend) == 0


# Reading without a lease


def test_a_query_finds_values_in_order_and_reads_no_fence_marker(backend):
    store = counters(backend)
    for aggregate_id, value in (("a", 3), ("b", 1), ("c", 2)):
        store.create(aggregate_id, Counter(value))
    backend.database["counters"].insert_one({"_id": "m", FENCE: "a takeover's"})
    assert store.query(sort=[("value", -1)], limit=2) == [Counter(3), Counter(2)]
    assert store.query({"value": {"$lt": 3}}, sort=[("_id", 1)]) == [Counter(1), Counter(2)]
    assert store.count({"value": {"$gte": 2}}) == 2
    assert store.get("m") is None and store.get("nobody") is None
