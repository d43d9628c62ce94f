"""HTTP entrypoints of the metrics service: the statistics, each as JSON and as CSV
(one Report declaration gives both routes, reports.py).

Every route needs a key with the `read` scope; a community the key does not cover
is answered 404, as one that does not exist (errors.py).
"""

from __future__ import annotations

from typing import Any

from lianxin.clock import utc_now
from services.metrics.app import stats
from services.metrics.http import exports
from services.metrics.http.reports import Report
from services.metrics.http.schemas import (
    AreaPeriodQuery,
    EvaluationQuery,
    EvaluationSchema,
    HotlineSchema,
    PeriodQuery,
    SummarySchema,
    TrendQuery,
    TrendSchema,
    VolunteersSchema,
)

# Each report: its JSON path, what it answers, its name in its CSV twin's summary, its
# query, its JSON shape and its CSV table (Report's fields, in order).
SUMMARY = Report(
    "/v1/stats/summary",
    "Counts, rates, times and backlog of a community or grid over a period",
    "summary",
    AreaPeriodQuery,
    SummarySchema,
    exports.summary_csv,
)
TREND = Report(
    "/v1/stats/trend",
    "Collected, resolved and rates per day, week or month",
    "trend",
    TrendQuery,
    TrendSchema,
    exports.trend_csv,
)
HOTLINE = Report(
    "/v1/stats/hotline",
    "12345 hotline cases per 1,000 households against the same period last year",
    "hotline trend",
    AreaPeriodQuery,
    HotlineSchema,
    exports.hotline_csv,
)
EVALUATION = Report(
    "/v1/stats/evaluation",
    "Quarterly evaluation of grids or teams, the formula, and the red/black list",
    "evaluation",
    EvaluationQuery,
    EvaluationSchema,
    exports.evaluation_csv,
)
VOLUNTEERS = Report(
    "/v1/stats/volunteers",
    "Each volunteer's hours and cases over a period (ids only, no names)",
    "volunteers",
    PeriodQuery,
    VolunteersSchema,
    exports.volunteers_csv,
)


class StatsHttp:
    """The statistics routes; `parts` is the service's (compose.Parts)."""

    @SUMMARY.routes
    def stats_summary(self, request, actor, query) -> dict[str, Any]:
        return stats.summary(self.parts.store, self.parts.zones, actor, query, utc_now())

    @TREND.routes
    def stats_trend(self, request, actor, query) -> dict[str, Any]:
        return stats.trend(self.parts.store, self.parts.zones, actor, query, utc_now())

    @HOTLINE.routes
    def stats_hotline(self, request, actor, query) -> dict[str, Any]:
        return stats.hotline(self.parts.store, self.parts.zones, actor, query, utc_now())

    @EVALUATION.routes
    def stats_evaluation(self, request, actor, query) -> dict[str, Any]:
        parts = self.parts
        return stats.evaluation(parts.store, parts.zones, parts.policy, actor, query, utc_now())

    @VOLUNTEERS.routes
    def stats_volunteers(self, request, actor, query) -> dict[str, Any]:
        return stats.volunteers(self.parts.store, self.parts.zones, actor, query, utc_now())
