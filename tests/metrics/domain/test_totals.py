"""The counting model: partitions, facts, totals and levels. Plain Python, no I/O."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.metrics.domain.totals import (
    ALL,
    Fact,
    Level,
    Partition,
    Totals,
    add_up,
    add_up_by,
    days_between,
    local_day,
    rate,
)

DAY = date(2026, 3, 6)
SHANGHAI = ZoneInfo("Asia/Shanghai")
URUMQI = ZoneInfo("Asia/Urumqi")


def test_a_day_and_the_running_totals_are_addressed_by_community():
    assert Partition("jingxiang", DAY).id == "jingxiang:2026-03-06"
    assert Partition("jingxiang").id == "jingxiang:live"
    assert Partition("jingxiang").is_live and not Partition("jingxiang", DAY).is_live


@pytest.mark.parametrize(
    "partition", [Partition("jx", DAY), Partition("jx"), Partition("a:b", DAY)]
)
def test_a_partition_id_reads_back(partition):
    assert Partition.parse(partition.id) == partition


@pytest.mark.parametrize(
    ("utc", "zone", "day"),
    [
        (datetime(2026, 3, 5, 15, 59, tzinfo=UTC), SHANGHAI, date(2026, 3, 5)),
        (datetime(2026, 3, 5, 16, 0, tzinfo=UTC), SHANGHAI, date(2026, 3, 6)),
        (datetime(2026, 12, 31, 20, 0, tzinfo=UTC), SHANGHAI, date(2027, 1, 1)),
        # the same instant is still the 5th in Urumqi (UTC+6)
        (datetime(2026, 3, 5, 16, 0, tzinfo=UTC), URUMQI, date(2026, 3, 5)),
    ],
)
def test_a_fact_counts_on_the_communitys_own_calendar_day(utc, zone, day):
    assert local_day(utc, zone) == day


def cells_fact(n: int, **cells: int) -> Fact:
    return Fact(f"E{n}", Partition("jx", DAY), {(*ALL, m): count for m, count in cells.items()})


def level_fact(n: int, order: str, on_duty: int) -> Fact:
    level = Level("duty|g1|repair", order, f"E{n}", {"on_duty": on_duty})
    return Fact(f"E{n}:live", Partition("jx"), levels={level.key: level})


def test_folding_adds_cells_and_leaves_the_original_alone():
    before = Totals(Partition("jx", DAY)).fold([cells_fact(1, reported=1)])
    after = before.fold([cells_fact(2, reported=1, resolved=1)])
    assert before.cells == {(*ALL, "reported"): 1}
    assert after.cells == {(*ALL, "reported"): 2, (*ALL, "resolved"): 1}


def test_cells_that_sum_to_zero_are_dropped_so_documents_do_not_fill_with_zeros():
    totals = Totals(Partition("jx")).fold(
        [cells_fact(1, **{"state:triaged": 1}), cells_fact(2, **{"state:triaged": -1})]
    )
    assert totals.cells == {}


@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(-3, 3)), max_size=30),
    st.randoms(use_true_random=False),
)
def test_any_order_and_any_split_into_batches_folds_to_the_same_sums(changes, rng: random.Random):
    facts = [cells_fact(n, **{f"m{kind}": delta}) for n, (kind, delta) in enumerate(changes)]
    at_once = Totals(Partition("jx", DAY)).fold(facts)
    shuffled = facts[:]
    rng.shuffle(shuffled)
    in_batches = Totals(Partition("jx", DAY))
    while shuffled:
        size = rng.randint(1, 5)
        in_batches, shuffled = in_batches.fold(shuffled[:size]), shuffled[size:]
    assert in_batches.cells == at_once.cells
    for kind in range(6):
        expected = sum(delta for k, delta in changes if k == kind)
        assert at_once.measures().get(f"m{kind}", 0) == expected


@given(st.lists(st.integers(0, 100), min_size=1, max_size=30), st.randoms(use_true_random=False))
def test_extremes_keep_the_least_and_the_greatest_whatever_the_order_and_batches(values, rng):
    facts = [cells_fact(n, t_min=value, t_max=value) for n, value in enumerate(values)]
    shuffled = facts[:]
    rng.shuffle(shuffled)
    days = []
    while shuffled:  # a few days, each folded in batches
        size = rng.randint(1, 5)
        days.append(Totals(Partition("jx", DAY)).fold(shuffled[:size]))
        shuffled = shuffled[size:]
    extremes = {"t_min": min(values), "t_max": max(values)}
    assert Totals(Partition("jx", DAY)).fold(facts).measures() == extremes
    assert dict(add_up(days)) == extremes
    assert {value: dict(c) for value, c in add_up_by(days, ALL[0]).items()} == {"": extremes}


def test_an_extreme_of_zero_is_a_value_and_a_sum_of_zero_no_cell():
    totals = Totals(Partition("jx", DAY)).fold(
        [cells_fact(1, t_min=0, moved=1), cells_fact(2, t_min=5, moved=-1)]
    )
    assert totals.cells == {(*ALL, "t_min"): 0}


@given(
    st.lists(st.tuples(st.integers(0, 50), st.integers(0, 9)), min_size=1, max_size=20),
    st.randoms(use_true_random=False),
)
def test_the_latest_level_wins_whatever_order_and_however_often_it_arrives(updates, rng):
    facts = [level_fact(n, f"{order:03d}", on_duty) for n, (order, on_duty) in enumerate(updates)]
    delivered = facts + rng.sample(facts, k=min(3, len(facts)))  # some redelivered
    rng.shuffle(delivered)
    totals = Totals(Partition("jx")).fold(delivered)
    latest = max(
        facts, key=lambda f: (f.levels["duty|g1|repair"].order, f.levels["duty|g1|repair"].event_id)
    )
    assert totals.levels["duty|g1|repair"] == latest.levels["duty|g1|repair"]


def test_measures_are_read_per_dimension_value_and_added_up_over_days():
    first = Totals(
        Partition("jx", DAY),
        {(*ALL, "reported"): 3, ("grid", "g1", "reported"): 2, ("grid", "g2", "reported"): 1},
    )
    second = Totals(Partition("jx", date(2026, 3, 7)), {("grid", "g1", "reported"): 4})
    assert add_up([first, second])["reported"] == 3
    assert add_up([first, second], ("grid", "g1"))["reported"] == 6
    assert {grid: c["reported"] for grid, c in add_up_by([first, second], "grid").items()} == {
        "g1": 6,
        "g2": 1,
    }


def test_a_period_lists_every_day_once_both_ends_included():
    assert days_between(DAY, DAY) == [DAY]
    assert days_between(DAY, date(2026, 3, 8)) == [DAY, date(2026, 3, 7), date(2026, 3, 8)]


def test_a_rate_is_rounded_to_four_places_and_none_without_a_whole():
    assert rate(51, 57) == 0.8947
    assert rate(0, 3) == 0.0
    assert rate(1, 0) is None
