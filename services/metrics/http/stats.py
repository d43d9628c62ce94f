"""HTTP entrypoints of the metrics service: the statistics, as JSON and as CSV.

Every route needs a key with the `read` scope; a community the key does not cover
is answered 404, as one that does not exist (errors.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lianxin.clock import utc_now
from lianxin.http.entrypoint import route
from lianxin.http.openapi import CSV
from lianxin.http.responses import csv_response
from services.metrics.app import stats
from services.metrics.http import exports
from services.metrics.http.errors import ERRORS, RAISES
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

CSV_NOTE = " as CSV (UTF-8 with a byte-order mark, so spreadsheets read the Chinese text)"

http = route(ERRORS)


class StatsHttp:
    """The statistics routes; `parts` is the service's (compose.Parts)."""

    def _report(self, use_case: Callable[..., dict], actor, query) -> dict[str, Any]:
        return use_case(self.parts.store, self.parts.zones, actor, query, utc_now())

    def _evaluation(self, actor, query) -> dict[str, Any]:
        parts = self.parts
        return stats.evaluation(parts.store, parts.zones, parts.policy, actor, query, utc_now())

    @http(
        "GET",
        "/v1/stats/summary",
        summary="Counts, rates, times and backlog of a community or grid over a period",
        query=AreaPeriodQuery,
        responses={200: SummarySchema},
        raises=RAISES,
        scope="read",
    )
    def stats_summary(self, request, actor, query):
        return 200, self._report(stats.summary, actor, query)

    @http(
        "GET",
        "/v1/stats/summary.csv",
        summary="The summary" + CSV_NOTE,
        query=AreaPeriodQuery,
        responses={200: CSV},
        raises=RAISES,
        scope="read",
    )
    def stats_summary_csv(self, request, actor, query):
        report = self._report(stats.summary, actor, query)
        return csv_response(exports.summary_csv(report), "summary")

    @http(
        "GET",
        "/v1/stats/trend",
        summary="Collected, resolved and rates per day, week or month",
        query=TrendQuery,
        responses={200: TrendSchema},
        raises=RAISES,
        scope="read",
    )
    def stats_trend(self, request, actor, query):
        return 200, self._report(stats.trend, actor, query)

    @http(
        "GET",
        "/v1/stats/trend.csv",
        summary="The trend" + CSV_NOTE,
        query=TrendQuery,
        responses={200: CSV},
        raises=RAISES,
        scope="read",
    )
    def stats_trend_csv(self, request, actor, query):
        return csv_response(exports.trend_csv(self._report(stats.trend, actor, query)), "trend")

    @http(
        "GET",
        "/v1/stats/hotline",
        summary="12345 hotline cases per 1,000 households against the same period last year",
        query=AreaPeriodQuery,
        responses={200: HotlineSchema},
        raises=RAISES,
        scope="read",
    )
    def stats_hotline(self, request, actor, query):
        return 200, self._report(stats.hotline, actor, query)

    @http(
        "GET",
        "/v1/stats/hotline.csv",
        summary="The hotline trend" + CSV_NOTE,
        query=AreaPeriodQuery,
        responses={200: CSV},
        raises=RAISES,
        scope="read",
    )
    def stats_hotline_csv(self, request, actor, query):
        report = self._report(stats.hotline, actor, query)
        return csv_response(exports.hotline_csv(report), "hotline")

    @http(
        "GET",
        "/v1/stats/evaluation",
        summary="Quarterly evaluation of grids or teams, the formula, and the red/black list",
        query=EvaluationQuery,
        responses={200: EvaluationSchema},
        raises=RAISES,
        scope="read",
    )
    def stats_evaluation(self, request, actor, query):
        return 200, self._evaluation(actor, query)

    @http(
        "GET",
        "/v1/stats/evaluation.csv",
        summary="The evaluation" + CSV_NOTE,
        query=EvaluationQuery,
        responses={200: CSV},
        raises=RAISES,
        scope="read",
    )
    def stats_evaluation_csv(self, request, actor, query):
        report = self._evaluation(actor, query)
        return csv_response(exports.evaluation_csv(report), "evaluation")

    @http(
        "GET",
        "/v1/stats/volunteers",
        summary="Each volunteer's hours and cases over a period (ids only, no names)",
        query=PeriodQuery,
        responses={200: VolunteersSchema},
        raises=RAISES,
        scope="read",
    )
    def stats_volunteers(self, request, actor, query):
        return 200, self._report(stats.volunteers, actor, query)

    @http(
        "GET",
        "/v1/stats/volunteers.csv",
        summary="The volunteers" + CSV_NOTE,
        query=PeriodQuery,
        responses={200: CSV},
        raises=RAISES,
        scope="read",
    )
    def stats_volunteers_csv(self, request, actor, query):
        report = self._report(stats.volunteers, actor, query)
        return csv_response(exports.volunteers_csv(report), "volunteers")
