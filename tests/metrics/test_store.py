"""The metrics repository's contract, on every store backend (tests/backends.py: memory,
FerretDB, MongoDB when given): every fact counted exactly once, whatever crashes,
redeliveries and stalled writers, the days and live totals read back, and a rebuild
that agrees with the running totals.

A crash is simulated by raising at a named fault point: the command stops there
and, as after a real crash, its lease stays behind until its TTL has passed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from lianxin.faults import armed
from lianxin.store.aggregates import LeaseLost
from services.metrics.app import counting
from services.metrics.app.zones import ZoneBook
from services.metrics.domain import places, reports
from services.metrics.domain.measures import facts_of
from services.metrics.domain.totals import ALL, Fact, Partition
from services.metrics.store import MetricsStore
from tests.metrics.conftest import METRICS_LEASE_TTL
from tests.metrics.domain.test_measures import area, duty
from tests.metrics.sequences import lifecycle, opened

DAY = date(2026, 3, 6)
AT = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)
TTL = METRICS_LEASE_TTL
ZONE = ZoneInfo("Asia/Shanghai")


class Crash(Exception):
    pass


def crash():
    raise Crash


def reported(count: int) -> list[Fact]:
    """The day facts of `count` reported cases (their live facts go elsewhere)."""
    payload = {"case_id": "LX-1", "community_id": "jx", "category": "x.y"}
    return [
        facts_of(str(uuid4()), "case.reported", AT, payload, lambda _: ZONE)[0]
        for _ in range(count)
    ]


def counted(store: MetricsStore) -> int:
    days = store.days_of("jx", [DAY])
    return days[DAY].cells.get((*ALL, "reported"), 0) if days else 0


def fold(store: MetricsStore, facts: list[Fact]) -> int:
    return counting.fold_facts(store, facts, uuid4().hex)


def test_a_batch_is_counted_once_and_a_redelivered_batch_adds_nothing(store):
    facts = reported(5)
    assert fold(store, facts) == 5
    assert fold(store, facts[:3]) == 0
    assert fold(store, [*facts[3:], *reported(2)]) == 2
    assert counted(store) == 7


def test_one_event_twice_in_the_same_batch_counts_once(store):
    facts = reported(2)
    assert fold(store, [*facts, facts[0]]) == 2
    assert counted(store) == 2


def test_no_document_grows_with_the_number_of_events(store, backend):
    days = backend.database["days"]
    fold(store, reported(50))
    size_after_50 = len(str(days.find_one({"_id": "jx:2026-03-06"})))
    for _ in range(5):
        fold(store, reported(50))
    assert counted(store) == 300
    assert len(str(days.find_one({"_id": "jx:2026-03-06"}))) <= size_after_50 + 8


def test_a_crash_before_the_totals_are_written_counts_the_batch_when_redelivered(store, clock):
    facts = reported(4)
    with armed("aggregate.before_write", crash), pytest.raises(Crash):
        fold(store, facts)  # facts inserted, totals not written, lease left behind
    assert counted(store) == 0
    clock.advance(TTL + 1)
    assert fold(store, facts) == 4  # the messages come back; their batch never committed
    assert fold(store, facts) == 0
    assert counted(store) == 4


def test_a_crash_after_the_totals_but_before_the_marker_is_repaired_by_the_next_holder(
    store, clock, backend
):
    facts = reported(3)
    with armed("metrics.before_commit_marker", crash), pytest.raises(Crash):
        fold(store, facts)  # totals written: the batch counted, but unmarked
    assert counted(store) == 3
    clock.advance(TTL + 1)
    assert fold(store, facts) == 0  # taking the lease over writes the marker first
    assert counted(store) == 3
    assert backend.database["leases"].count_documents({}) == 0


def take_over_by_the_sweeper(store: MetricsStore) -> int:
    """Each taker returns the facts it counted itself."""
    assert store.recover() == 1
    return 0


def take_over_by_another_batch(store: MetricsStore) -> int:
    return fold(store, reported(1))


def take_over_by_the_rebuild(store: MetricsStore) -> int:
    assert counting.rebuild(store, apply=True) == []
    return 0


@pytest.mark.parametrize(
    "take_over", [take_over_by_the_sweeper, take_over_by_another_batch, take_over_by_the_rebuild]
)
def test_whoever_takes_a_crashed_fold_over_writes_its_marker_so_a_redelivery_adds_nothing(
    store, clock, backend, take_over
):
    """The outbox sweeper is a taker like any other: it releases the lease, so the
    fold after it takes nothing over and must find the batch marked already."""
    facts = reported(3)
    with armed("metrics.before_commit_marker", crash), pytest.raises(Crash):
        fold(store, facts)  # totals written: the batch counted, but unmarked
    clock.advance(TTL + 1)
    added = take_over(store)
    assert backend.database["leases"].count_documents({}) == 0
    assert fold(store, facts) == 0  # the messages come back
    assert counted(store) == 3 + added
    assert counting.rebuild(store, apply=False) == []


def test_a_taker_that_fails_to_write_the_marker_leaves_the_lease_for_the_next(
    store, clock, backend
):
    facts = reported(2)
    with armed("metrics.before_commit_marker", crash), pytest.raises(Crash):
        fold(store, facts)
    clock.advance(TTL + 1)
    with armed("metrics.before_commit_marker", crash), pytest.raises(Crash):
        store.recover()
    assert backend.database["leases"].count_documents({"expires_at": 0.0}) == 1
    assert store.recover() == 1
    assert fold(store, facts) == 0
    assert counted(store) == 2


def test_a_stalled_fold_that_lost_its_lease_counts_nothing(store, clock):
    facts = reported(3)

    def another_worker_takes_the_redelivered_batch():
        clock.advance(TTL + 1)
        assert fold(store, facts) == 3

    taker = another_worker_takes_the_redelivered_batch
    with armed("aggregate.before_write", taker), pytest.raises(LeaseLost):
        fold(store, facts)
    assert counted(store) == 3
    assert fold(store, facts) == 0


def test_the_rebuild_recomputes_the_same_totals_and_repairs_a_damaged_day(store, backend):
    for size in (3, 4, 5):
        fold(store, reported(size))
    assert counting.rebuild(store, apply=False) == []
    backend.database["days"].update_one(
        {"_id": "jx:2026-03-06"},
        {"$set": {"cells": '[["all", "", "reported", 1]]'}},
    )
    differences = counting.rebuild(store, apply=True)
    assert [difference["day"] for difference in differences] == ["jx:2026-03-06"]
    assert counted(store) == 12
    assert counting.rebuild(store, apply=False) == []


# The live partition, levels and the rebuild of everything


def fold_events(store: MetricsStore, events) -> None:
    """Count events as the service does: each fact into its partition's batch."""
    by_partition: dict[str, list[Fact]] = {}
    for event in events:
        for fact in event.facts():
            by_partition.setdefault(fact.partition.id, []).append(fact)
    for facts in by_partition.values():
        fold(store, facts)


def test_the_live_totals_keep_the_backlog_and_the_latest_levels(store):
    events = [
        *lifecycle("LX-1"),
        *opened("LX-2"),
        duty(3, AT),
        duty(1, AT - timedelta(hours=1)),  # older: loses, though counted last
        area("jingxiang", "community", 1, 5926, timezone="Asia/Urumqi"),
    ]
    fold_events(store, events)
    fold_events(store, events[::-1])  # everything redelivered, backwards
    live = store.live_of("jingxiang")
    assert reports.backlog(live) == {"total": 1, "by_state": {"dispatched": 1}, "overdue": 0}
    assert places.on_duty(live) == [{"grid": "jingxiang-g1", "team": "repair_crew", "on_duty": 3}]
    assert [totals.id for totals in store.all_live()] == ["jingxiang:live"]
    assert ZoneBook(store, ZONE)("jingxiang") == ZoneInfo("Asia/Urumqi")
    assert ZoneBook(store, ZONE)("elsewhere") == ZONE


def test_the_rebuild_recomputes_live_totals_and_levels_too(store, backend):
    fold_events(store, [*lifecycle("LX-1"), *opened("LX-2"), duty(2, AT)])
    assert counting.rebuild(store, apply=False) == []
    damage = {"$set": {"cells": "[]", "levels": "[]"}}
    backend.database["live"].update_one({"_id": "jingxiang:live"}, damage)
    differences = counting.rebuild(store, apply=True)
    assert [difference["day"] for difference in differences] == ["jingxiang:live"]
    live = store.live_of("jingxiang")
    assert reports.backlog(live)["total"] == 1 and places.on_duty(live)[0]["on_duty"] == 2
    assert counting.rebuild(store, apply=False) == []


def test_a_fact_retried_into_another_partition_is_counted_there_only(store, clock):
    """A batch failed before its commit; when the message comes back, the community's
    zone is known and the fact belongs to another day: it moves there whole."""
    (fact,) = reported(1)
    with armed("aggregate.before_write", crash), pytest.raises(Crash):
        fold(store, [fact])
    clock.advance(TTL + 1)
    moved = Fact(fact.id, Partition("jx", DAY - timedelta(days=1)), fact.cells)
    assert fold(store, [moved]) == 1
    assert counted(store) == 0
    assert store.days_of("jx", [DAY - timedelta(days=1)])[DAY - timedelta(days=1)].cells
    assert counting.rebuild(store, apply=False) == []
