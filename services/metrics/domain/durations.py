"""Times to accept and to resolve, kept as histogram bucket counts with their extremes.

A median cannot be summed, but bucket counts can: each case adds 1 to the bucket
its time falls in, so days, grids and redeliveries add up like any other cell. Each
case also adds its time (whole seconds) to a sum and to the least and greatest of
its dimension (domain/totals.py folds such extremes by min and max).
The bounds follow the time limits the field works to: minutes for an accept, hours
to days for a resolution.

How a quantile is read (Times.quantile), so that it never contradicts the data:

- up to three cases, the count, the sum and the two extremes determine every time:
  the quantile is exact (linear between order statistics, as numpy and R's default
  type 7 answer: the median of two is their mean);
- more cases: linear interpolation within the bucket holding the quantile's rank, as
  Prometheus' histogram_quantile does, but with the lowest occupied bucket starting
  at the least time seen and the highest ending at the greatest (the +Inf bucket
  included), as OpenTelemetry's histograms carry min and max for. So the answer lies
  between the shortest and the longest time, in the bucket of the true quantile, and
  equals the time itself when all times are equal.

Two accepts within a second therefore no longer read as a median of 150 s (half the
first bucket's bound) beside a mean of 1 s. Extremes that do not fit the buckets (a
period mixing days counted before they were kept) are not used.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# upper bounds in seconds: 5, 15, 30 min; 1, 2, 4, 8, 12 h; 1, 2, 3, 7, 14, 30 days; +Inf
BOUNDS_SECONDS: tuple[float, ...] = (
    300,
    900,
    1800,
    3600,
    7200,
    14400,
    28800,
    43200,
    86400,
    172800,
    259200,
    604800,
    1209600,
    2592000,
    math.inf,
)
KINDS = ("accept", "resolve")
EXACT_UP_TO = 3  # cases whose times the count, sum and extremes determine


def bucket_measure(kind: str, bound: float) -> str:
    return f"{kind}_le_{'inf' if math.isinf(bound) else int(bound)}"


def timing_measures(kind: str, seconds: float) -> dict[str, int]:
    """The cells one case's time adds: its bucket, the count, the sum and both extremes
    (whole seconds; a time below zero, clocks a little apart, counts as zero)."""
    seconds = max(0.0, seconds)
    bound = next(bound for bound in BOUNDS_SECONDS if seconds <= bound)
    whole = round(seconds)
    return {
        bucket_measure(kind, bound): 1,
        f"{kind}_count": 1,
        f"{kind}_seconds": whole,
        f"{kind}_seconds_min": whole,
        f"{kind}_seconds_max": whole,
    }


def buckets(kind: str, measures: Mapping[str, int]) -> list[tuple[float, int]]:
    """(upper bound, count in that bucket) for every bound, from summed measures."""
    return [(bound, int(measures.get(bucket_measure(kind, bound), 0))) for bound in BOUNDS_SECONDS]


@dataclass(frozen=True)
class Span:
    lower: float
    upper: float
    count: int


@dataclass(frozen=True)
class Times:
    """One kind of time over a period, as the summed cells hold it: cases per bucket
    ((upper bound, count), bounds ascending), the sum of their whole seconds and, when
    known and fitting the buckets, the least and the greatest."""

    counts: Sequence[tuple[float, int]]
    seconds: int = 0
    least: int | None = None
    greatest: int | None = None

    @classmethod
    def of(cls, kind: str, measures: Mapping[str, int]) -> Times:
        counts = buckets(kind, measures)
        least = measures.get(f"{kind}_seconds_min")
        greatest = measures.get(f"{kind}_seconds_max")
        if least is None or greatest is None or not _fit(_spans(counts), least, greatest):
            least = greatest = None
        return cls(counts, int(measures.get(f"{kind}_seconds", 0)), least, greatest)

    @property
    def count(self) -> int:
        return sum(count for _, count in self.counts)

    def quantile(self, q: float) -> float | None:
        """The q-quantile (0 ≤ q ≤ 1) in seconds, one decimal; None with no cases. The
        module's docstring says how, and why it stays within the data."""
        if self.count == 0:
            return None
        exact = self._exact()
        if exact is not None:
            return round(_between_order_statistics(q, exact), 1)
        return self._interpolated(q)

    def _exact(self) -> list[int] | None:
        """The times themselves, when the count, sum and extremes leave no doubt."""
        if self.least is None or self.greatest is None or self.count > EXACT_UP_TO:
            return None
        least, greatest = self.least, self.greatest
        if self.count == 1:
            return [least] if least == greatest == self.seconds else None
        if self.count == 2:
            return [least, greatest] if least + greatest == self.seconds else None
        middle = self.seconds - least - greatest
        return [least, middle, greatest] if least <= middle <= greatest else None

    def _interpolated(self, q: float) -> float:
        occupied = [span for span in _spans(self.counts) if span.count]
        rank = q * self.count
        cumulative = 0
        for span in occupied[:-1]:
            if cumulative + span.count >= rank:
                return self._within(span, rank - cumulative, occupied)
            cumulative += span.count
        return self._within(occupied[-1], rank - cumulative, occupied)

    def _within(self, span: Span, rank: float, occupied: list[Span]) -> float:
        """Linear within `span`, whose edges are the extremes where it holds them."""
        low, high = span.lower, span.upper
        if span is occupied[0] and self.least is not None:
            low = self.least
        if span is occupied[-1] and self.greatest is not None:
            high = self.greatest
        if math.isinf(high):
            return low  # no greatest known: the last finite bound, as Prometheus answers
        return round(low + (high - low) * rank / span.count, 1)


def _spans(counts: Sequence[tuple[float, int]]) -> list[Span]:
    spans, lower = [], 0.0
    for upper, count in counts:
        spans.append(Span(lower, upper, count))
        lower = upper
    return spans


def _fit(spans: list[Span], least: int, greatest: int) -> bool:
    """Whether the extremes lie in the lowest and the highest occupied bucket, as they
    do when every case of the period was counted with them."""
    occupied = [span for span in spans if span.count]
    if not occupied or least > greatest:
        return False
    first, last = occupied[0], occupied[-1]
    return first.lower <= least <= first.upper and last.lower <= greatest <= last.upper


def _between_order_statistics(q: float, ordered: list[int]) -> float:
    """Hyndman and Fan's type 7 (numpy's and R's default) on a sorted sample."""
    position = (len(ordered) - 1) * q
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def timing(kind: str, measures: Mapping[str, int]) -> dict[str, float | int | None]:
    """Count, median, 90th percentile, mean and extremes of one kind of time, in seconds."""
    times = Times.of(kind, measures)
    observed = int(measures.get(f"{kind}_count", 0))
    mean = round(times.seconds / observed, 1) if observed else None
    return {
        "count": observed,
        "median_seconds": times.quantile(0.5),
        "p90_seconds": times.quantile(0.9),
        "mean_seconds": mean,
        "min_seconds": times.least,
        "max_seconds": times.greatest,
    }
