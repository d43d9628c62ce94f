"""HTTP entrypoints of the metrics service."""

from lianxin.web import route
from services.metrics import handlers
from services.metrics.schemas import SummaryQuery, SummarySchema

http = route({})


class MetricsHttp:
    @http(
        "GET",
        "/v1/stats/summary",
        summary="Counts and rates for a community and period",
        query=SummaryQuery,
        responses={200: SummarySchema},
        raises=(),
    )
    def stats_summary(self, request, query):
        return 200, handlers.summary(
            self.store, query["community_id"], query["since"], query["until"]
        )
