"""Business gauges for Prometheus, computed at scrape time from the stored day totals.

Reading the aggregates (not counting in process memory) means every replica
reports the same numbers, so several replicas never double count. A short cache
keeps a burst of scrapes from rereading them.
"""

from __future__ import annotations

import logging
import time
from collections import Counter

from prometheus_client.core import GaugeMetricFamily

from services.metrics.domain import ALL, DayTotals
from services.metrics.store import MetricsStore

log = logging.getLogger(__name__)
CACHE_SECONDS = 5.0


class CaseGauges:
    def __init__(self, store: MetricsStore):
        self._store = store
        self._read_at = float("-inf")
        self._days: list[DayTotals] = []

    def describe(self):
        """What registration asks for, so it does not read the store (nor fill the cache)."""
        return list(self._families())

    def collect(self):
        try:
            days = self._cached_days()
        except Exception:  # a scrape must not fail because the database is away
            log.warning("case gauges unavailable", exc_info=True)
            return
        cases, open_cases = self._families()
        by_category: Counter[tuple[str, str, str]] = Counter()
        backlog: Counter[str] = Counter()
        for totals in days:
            for (dimension, value, measure), count in totals.cells.items():
                if dimension == "category":
                    by_category[(totals.community_id, value, measure)] += count
                elif (dimension, value) == ALL and measure in ("reported", "resolved"):
                    backlog[totals.community_id] += count if measure == "reported" else -count
        for labels, value in sorted(by_category.items()):
            cases.add_metric(list(labels), value)
        for community, value in sorted(backlog.items()):
            open_cases.add_metric([community], max(0, value))
        yield cases
        yield open_cases

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        cases = GaugeMetricFamily(
            "lianxin_cases",
            "Case events counted, by community, category and measure.",
            labels=["community", "category", "measure"],
        )
        open_cases = GaugeMetricFamily(
            "lianxin_open_cases", "Cases reported and not yet resolved.", labels=["community"]
        )
        return cases, open_cases

    def _cached_days(self) -> list[DayTotals]:
        now = time.monotonic()
        if now - self._read_at > CACHE_SECONDS:
            self._days = list(self._store.all_days())
            self._read_at = now
        return self._days
