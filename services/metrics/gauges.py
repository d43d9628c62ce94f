"""Business gauges for Prometheus, computed at scrape time from the stored buckets.

Reading the aggregates (not counting in process memory) means every replica
reports the same numbers, so several replicas never double count.
"""

from __future__ import annotations

import logging

from prometheus_client.core import GaugeMetricFamily

from services.metrics.domain import MEASURES
from services.metrics.store import MetricsStore

log = logging.getLogger(__name__)


class CaseGauges:
    def __init__(self, store: MetricsStore):
        self._store = store

    def collect(self):
        try:
            buckets = self._store.buckets_of(None)
        except Exception:  # a scrape must not fail because the database is away
            log.warning("case gauges unavailable", exc_info=True)
            return
        cases = GaugeMetricFamily(
            "lianxin_cases",
            "Case events counted, by community, category and measure.",
            labels=["community", "category", "measure"],
        )
        open_cases = GaugeMetricFamily(
            "lianxin_open_cases", "Cases reported and not yet resolved.", labels=["community"]
        )
        totals: dict[tuple[str, str, str], int] = {}
        open_by_community: dict[str, int] = {}
        for bucket in buckets:
            for measure in MEASURES:
                key = (bucket.community_id, bucket.category, measure)
                totals[key] = totals.get(key, 0) + bucket.counts.get(measure, 0)
            backlog = bucket.counts.get("reported", 0) - bucket.counts.get("resolved", 0)
            open_by_community[bucket.community_id] = (
                open_by_community.get(bucket.community_id, 0) + backlog
            )
        for labels, value in sorted(totals.items()):
            cases.add_metric(list(labels), value)
        for community, value in sorted(open_by_community.items()):
            open_cases.add_metric([community], max(0, value))
        yield cases
        yield open_cases
