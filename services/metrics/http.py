"""HTTP entrypoints of the metrics service."""

from lianxin.web import route
from services.metrics import handlers
from services.metrics.schemas import SummaryQuery

http = route({})


class MetricsHttp:
    @http("GET", "/v1/stats/summary")
    def stats_summary(self, request):
        query = SummaryQuery().load(request.args.to_dict())
        return 200, handlers.summary(
            self.store, query["community_id"], query["since"], query["until"]
        )
