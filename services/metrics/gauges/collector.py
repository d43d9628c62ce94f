"""Business metrics for Prometheus, from the stored aggregates.

Reading the aggregates (not counting in process memory) means every replica
reports the same numbers, so several replicas never double count: rules and
dashboards take `max without (instance)` across them. A timer rereads the
aggregates every few seconds (`refresh_aggregates`) and the dead-letter queues'
depths (`refresh_dead_letters`); a scrape only reads what the last refresh found,
so it never waits on the database or the broker, even while they are away.

The families a scrape reads are gauges/families.py's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime

from nameko.extensions import DependencyProvider
from prometheus_client.core import Metric

from lianxin.instrumentation import register_collector
from lianxin.quarters import Quarter
from lianxin.store.repository import parts_of
from services.metrics.app.zones import ZoneBook
from services.metrics.domain import places
from services.metrics.domain.evaluation import (
    UNIT_KINDS,
    Policy,
    evaluate,
)
from services.metrics.domain.totals import Totals, add_up_by, days_between
from services.metrics.gauges.families import Snapshot, families
from services.metrics.store import MetricsStore

REFRESH_SECONDS = 5.0
EVALUATION_REFRESH_SECONDS = 600.0  # a quarter's scores move slowly; each costs ~92 reads


class BusinessMetrics:
    """A Prometheus collector over the metrics service's aggregates."""

    def __init__(
        self,
        store: MetricsStore,
        zones: ZoneBook,
        policy: Policy,
        depths: Callable[[], Mapping[str, int]],
        clock: Callable[[], float] = time.time,
    ):
        self._store = store
        self._zones = zones
        self._policy = policy
        self._depths = depths
        self._clock = clock
        self._snapshot = Snapshot()
        self._scored_at = float("-inf")

    def refresh_aggregates(self) -> int:
        """Reread every community's live totals (and, every ten minutes, this quarter's
        evaluation). Returns the communities read."""
        live = self._store.all_live()
        scores = self._snapshot.scores
        if self._clock() - self._scored_at >= EVALUATION_REFRESH_SECONDS:
            scores = self._scores(live)
            self._scored_at = self._clock()
        self._snapshot = replace(
            self._snapshot,
            live=live,
            scores=scores,
            property_quarters=self._store.property_quarters_all(),
            aggregates_at=self._clock(),
        )
        return len(live)

    def refresh_dead_letters(self) -> int:
        """Reread the depth of every dead-letter queue. Returns the queues read."""
        depths = dict(self._depths())
        self._snapshot = replace(self._snapshot, depths=depths, broker_at=self._clock())
        return len(depths)

    def _scores(self, live: list[Totals]) -> dict[tuple[str, str, str], float]:
        scores = {}
        for totals in live:
            community = totals.partition.community_id
            now = datetime.fromtimestamp(self._clock(), UTC)
            quarter = Quarter.of(now, self._zones(community))
            since, until = quarter.first_day, quarter.last_day
            days = self._store.days_of(community, days_between(since, until)).values()
            for kind in UNIT_KINDS:
                names = places.grid_names(totals) if kind == "grid" else {}
                for row in evaluate(self._policy, add_up_by(days, kind), names)["units"]:
                    if row["ranked"] and row["score"] is not None:
                        scores[(community, kind, row["unit"])] = row["score"]
        return scores

    def describe(self) -> list[Metric]:
        """What registration asks for, without reading the store."""
        return list(families(Snapshot()))

    def collect(self) -> Iterator[Metric]:
        yield from families(self._snapshot)


class BusinessGauges(DependencyProvider):
    """Registers the collector over the parts compose.py built; a timer calls its
    refreshes."""

    def start(self) -> None:
        parts = parts_of(self.container)
        self.metrics = BusinessMetrics(parts.store, parts.zones, parts.policy, parts.dead_letters)
        register_collector(self.metrics)

    def get_dependency(self, worker_ctx) -> BusinessMetrics:
        return self.metrics
