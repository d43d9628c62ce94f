"""Business gauges for Prometheus, from the stored day totals.

Reading the aggregates (not counting in process memory) means every replica
reports the same numbers, so several replicas never double count. A timer
rereads them every few seconds (`refresh`); a scrape only reads what the last
refresh found, so it never waits on the database, even while that is away.
"""

from __future__ import annotations

from collections import Counter

from nameko.extensions import DependencyProvider
from prometheus_client.core import GaugeMetricFamily

from lianxin.instrumentation import register_collector
from lianxin.mongo import StoreProvider
from services.metrics.domain import ALL, DayTotals
from services.metrics.store import MetricsStore

REFRESH_SECONDS = 5.0


class CaseGauges:
    def __init__(self, store: MetricsStore):
        self._store = store
        self._days: list[DayTotals] = []

    def refresh(self) -> None:
        self._days = list(self._store.all_days())

    def describe(self):
        """What registration asks for, so it does not read the store (nor fill the cache)."""
        return list(self._families())

    def collect(self):
        days = self._days
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


class BusinessGauges(DependencyProvider):
    """Registers the gauges over the service's store; a worker calls `refresh`."""

    def start(self) -> None:
        store = next(
            dependency.repository
            for dependency in self.container.dependencies
            if isinstance(dependency, StoreProvider)
        )
        self.gauges = CaseGauges(store)
        register_collector(self.gauges)

    def get_dependency(self, worker_ctx) -> CaseGauges:
        return self.gauges
