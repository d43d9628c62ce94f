"""Times to accept and to resolve: buckets, extremes, and the quantiles read from them.
Plain Python, no I/O; the times are folded as the store folds them (Totals.fold) and
summed over days as the reports sum them (add_up)."""

from __future__ import annotations

import math
import statistics
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.metrics.domain.durations import (
    BOUNDS_SECONDS,
    Times,
    buckets,
    timing,
    timing_measures,
)
from services.metrics.domain.totals import ALL, Fact, Partition, Totals, add_up

DAY = date(2026, 3, 6)
QUANTILES = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0)
# up to 40 days, beyond the last finite bound (30 days) into the +Inf bucket
TIMES = st.floats(0, 40 * 86400, allow_nan=False)


def counted(kind: str, times: list[float], days: int = 3) -> dict[str, int]:
    """The summed measures of `times`, each one event's fact, spread over a few days and
    folded one fact at a time (the store may batch them any way: the sum is the same)."""
    partitions = [Partition("jx", DAY + timedelta(days=n)) for n in range(days)]
    totals = {partition: Totals(partition) for partition in partitions}
    for index, seconds in enumerate(times):
        partition = partitions[index % days]
        cells = {(*ALL, measure): n for measure, n in timing_measures(kind, seconds).items()}
        totals[partition] = totals[partition].fold([Fact(f"E{index}", partition, cells)])
    return dict(add_up(totals.values()))


def whole(times: list[float]) -> list[int]:
    """Times as stored: whole seconds, none below zero (clocks a little apart)."""
    return [round(max(0.0, seconds)) for seconds in times]


# The reported case


def test_two_accepts_within_a_second_have_a_median_within_that_second_not_a_bucket_bound():
    """Issue 15: `median_seconds: 150` beside `mean_seconds: 1.0`."""
    report = timing("accept", counted("accept", [0.6, 1.4]))
    assert report == {
        "count": 2,
        "median_seconds": 1.0,
        "p90_seconds": 1.0,
        "mean_seconds": 1.0,
        "min_seconds": 1,
        "max_seconds": 1,
    }
    report = timing("accept", counted("accept", [0.2, 0.9]))
    assert (report["median_seconds"], report["mean_seconds"]) == (0.5, 0.5)


def test_three_accepts_after_twenty_minutes_have_that_median_and_90th_percentile():
    """They once read 1350 and 1710 s: the middle of the 15-30 minute bucket."""
    report = timing("accept", counted("accept", [1200, 1200, 1200]))
    assert (report["median_seconds"], report["p90_seconds"]) == (1200.0, 1200.0)


def test_a_quantile_in_the_open_bucket_ends_at_the_longest_time_not_at_the_last_bound():
    days_40, days_35 = 40 * 86400, 35 * 86400
    times = [60, 60, 60, 60, days_35, days_40]
    report = timing("resolve", counted("resolve", times))
    assert BOUNDS_SECONDS[-2] < report["p90_seconds"] <= days_40
    assert report["max_seconds"] == days_40


# Properties a statistician expects of any quantile


@given(st.lists(TIMES, min_size=1, max_size=60), st.sampled_from(QUANTILES))
def test_a_quantile_lies_between_the_shortest_and_the_longest_time(times, q):
    estimate = Times.of("resolve", counted("resolve", times)).quantile(q)
    assert min(whole(times)) <= estimate <= max(whole(times))


@given(st.lists(TIMES, min_size=1, max_size=60))
def test_quantiles_never_decrease_with_q_and_the_median_is_below_the_90th_percentile(times):
    estimates = [Times.of("accept", counted("accept", times)).quantile(q) for q in QUANTILES]
    assert estimates == sorted(estimates)
    report = timing("accept", counted("accept", times))
    assert report["min_seconds"] <= report["median_seconds"] <= report["p90_seconds"]
    assert report["p90_seconds"] <= report["max_seconds"]


@given(TIMES, st.sampled_from(QUANTILES))
def test_one_time_is_every_quantile_of_itself(seconds, q):
    assert Times.of("resolve", counted("resolve", [seconds])).quantile(q) == whole([seconds])[0]


@given(TIMES, st.integers(1, 30), st.sampled_from(QUANTILES))
def test_equal_times_are_every_quantile(seconds, n, q):
    estimate = Times.of("resolve", counted("resolve", [seconds] * n)).quantile(q)
    assert estimate == whole([seconds])[0]


@given(st.lists(TIMES, min_size=1, max_size=3))
def test_up_to_three_times_the_median_and_the_90th_percentile_are_exact(times):
    """Count, sum, least and greatest determine up to three times: no estimate needed."""
    report = timing("resolve", counted("resolve", times))
    assert report["median_seconds"] == round(statistics.median(whole(times)), 1)
    if len(times) > 1:  # statistics' "inclusive" method is the type 7 of numpy and R
        deciles = statistics.quantiles(whole(times), n=10, method="inclusive")
        assert report["p90_seconds"] == round(deciles[-1], 1)


@given(st.lists(TIMES, min_size=4, max_size=200), st.floats(0.05, 0.95))
def test_beyond_three_times_a_quantile_lies_in_the_bucket_of_the_true_quantile(times, q):
    """The true quantile here is the order statistic at rank ⌈q·n⌉, the one whose bucket
    histogram_quantile interpolates in (up to three times the answer is exact instead)."""
    estimate = Times.of("resolve", counted("resolve", times)).quantile(q)
    ordered = sorted(whole(times))
    true = ordered[max(0, math.ceil(q * len(ordered)) - 1)]
    upper = next(bound for bound in BOUNDS_SECONDS if true <= bound)
    lower = max([0.0, *[bound for bound in BOUNDS_SECONDS if bound < upper]])
    assert lower <= estimate <= upper


@given(st.lists(TIMES, min_size=1, max_size=40), st.randoms())
def test_the_extremes_fold_to_the_same_whatever_the_order(times, rng):
    shuffled = list(times)
    rng.shuffle(shuffled)
    assert counted("accept", times, days=1) == counted("accept", shuffled, days=2)


# Days counted before the extremes were kept: the buckets alone


def test_without_extremes_the_median_is_interpolated_within_its_bucket():
    counts = [(300.0, 0), (900.0, 4), (1800.0, 4), (math.inf, 0)]
    assert Times(counts).quantile(0.5) == 900.0
    assert Times(counts).quantile(0.25) == 600.0
    assert Times(counts).quantile(0.75) == 1350.0


def test_without_extremes_a_quantile_in_the_open_bucket_is_the_last_finite_bound():
    counts = [(300.0, 1), (900.0, 0), (math.inf, 9)]
    assert Times(counts).quantile(0.9) == 900.0
    assert Times([]).quantile(0.5) is None


def test_extremes_that_do_not_fit_the_buckets_are_not_trusted():
    """A period mixing days with and without extremes: the least seen is not the least."""
    measures = {**counted("accept", [600, 700]), "accept_le_300": 1, "accept_count": 3}
    times = Times.of("accept", measures)
    assert (times.least, times.greatest) == (None, None)
    assert 0 <= times.quantile(0.1) <= 300


# Buckets and the mean


def test_a_time_falls_in_the_first_bucket_that_holds_it():
    assert timing_measures("resolve", 300)["resolve_le_300"] == 1
    assert timing_measures("resolve", 301)["resolve_le_900"] == 1
    assert timing_measures("resolve", 10**9)["resolve_le_inf"] == 1
    assert timing_measures("accept", -5)["accept_le_300"] == 1  # clocks a little apart


def test_a_time_of_zero_is_kept_as_the_least_not_dropped_as_an_empty_cell():
    measures = counted("accept", [0.2, 30])
    assert (measures["accept_seconds_min"], measures["accept_seconds_max"]) == (0, 30)
    assert buckets("accept", measures)[0] == (300, 2)


def test_the_mean_is_exact_and_the_count_is_the_cases_timed():
    measures = {**timing_measures("accept", 600), "accept_count": 2, "accept_seconds": 1000}
    assert timing("accept", measures)["mean_seconds"] == 500.0
