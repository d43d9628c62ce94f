"""The metrics service: a thin shell over handlers.py."""

from nameko.timer import timer

from lianxin.consumer import event_handler
from lianxin.instrumentation import Instrumentation, register_collector
from lianxin.mongo import StoreProvider
from lianxin.outbox import SWEEP_INTERVAL_SECONDS
from lianxin.web import HealthCheck
from services.metrics import handlers
from services.metrics.gauges import CaseGauges
from services.metrics.http import MetricsHttp
from services.metrics.schemas import EVENTS
from services.metrics.store import MetricsStore


class MetricsStoreProvider(StoreProvider):
    """The store, plus the business gauges read from it at every scrape."""

    def setup(self) -> None:
        super().setup()
        register_collector(CaseGauges(self.repository))


class MetricsService(MetricsHttp, HealthCheck):
    name = "metrics"

    store = MetricsStoreProvider(MetricsStore)
    instrumentation = Instrumentation()

    @event_handler("cases", "case.reported")
    @event_handler("cases", "case.triaged")
    @event_handler("cases", "case.dispatched")
    @event_handler("cases", "case.escalated")
    @event_handler("cases", "case.accepted")
    @event_handler("cases", "case.resolved")
    @event_handler("notify", "notification.delivered")
    @event_handler("notify", "notification.failed")
    def count_event(self, message):
        handlers.count_event(self.store, EVENTS.read(message))

    @timer(interval=SWEEP_INTERVAL_SECONDS, eager=True)
    def relay_outbox(self):
        self.store.recover()
