"""The fold protocol on the real FerretDB: every fact counted exactly once, whatever
crashes, redeliveries and stalled writers, and a rebuild agrees with the running totals.

A crash is simulated by raising at a named fault point: the command stops there
and, as after a real crash, its lease stays behind until its TTL has passed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from lianxin.aggregates import LeaseLost
from lianxin.config import Settings
from lianxin.engine import ConditionalWrites, Engine
from lianxin.faults import armed
from lianxin.lease import Leases
from lianxin.mongo import StoreContext
from services.metrics import handlers
from services.metrics.domain import ALL, Fact, fact_of
from services.metrics.store import MetricsStore
from tests.shared.conftest import FakeClock

pytestmark = pytest.mark.integration

DAY = date(2026, 3, 6)
AT = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)
TTL = 10.0


class Crash(Exception):
    pass


def crash():
    raise Crash


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(test_db, clock) -> MetricsStore:
    writes = ConditionalWrites(Engine.detect(test_db))
    leases = Leases(test_db["leases"], writes, ttl_seconds=TTL, wait_seconds=5, clock=clock)
    context = StoreContext(
        test_db, writes.engine, writes, leases, lambda message: None, Settings("metrics"), {}
    )
    metrics = MetricsStore(context)
    metrics.ensure_indexes()
    return metrics


def reported(count: int) -> list[Fact]:
    return [
        fact_of(str(uuid4()), "case.reported", AT, {"community_id": "jx", "category": "x.y"})
        for _ in range(count)
    ]


def counted(store: MetricsStore) -> int:
    days = store.days_of("jx", [DAY])
    return days[0].cells.get((*ALL, "reported"), 0) if days else 0


def fold(store: MetricsStore, facts: list[Fact]) -> int:
    return handlers.fold_facts(store, facts, uuid4().hex)


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


def test_no_document_grows_with_the_number_of_events(store, test_db):
    fold(store, reported(50))
    size_after_50 = len(str(test_db["days"].find_one({"_id": "jx:2026-03-06"})))
    for _ in range(5):
        fold(store, reported(50))
    assert counted(store) == 300
    assert len(str(test_db["days"].find_one({"_id": "jx:2026-03-06"}))) <= size_after_50 + 8


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
    store, clock, test_db
):
    facts = reported(3)
    with armed("metrics.before_commit_marker", crash), pytest.raises(Crash):
        fold(store, facts)  # totals written: the batch counted, but unmarked
    assert counted(store) == 3
    clock.advance(TTL + 1)
    assert fold(store, facts) == 0  # taking the lease over writes the marker first
    assert counted(store) == 3
    assert test_db["leases"].count_documents({}) == 0


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


def test_the_rebuild_recomputes_the_same_totals_and_repairs_a_damaged_day(store, test_db):
    for size in (3, 4, 5):
        fold(store, reported(size))
    assert handlers.rebuild(store, apply=False) == []
    test_db["days"].update_one(
        {"_id": "jx:2026-03-06"},
        {"$set": {"cells": [{"d": "all", "v": "", "m": "reported", "n": 1}]}},
    )
    differences = handlers.rebuild(store, apply=True)
    assert [difference["day"] for difference in differences] == ["jx:2026-03-06"]
    assert counted(store) == 12
    assert handlers.rebuild(store, apply=False) == []
