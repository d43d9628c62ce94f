"""The metrics service: a thin shell over handlers.py."""

from nameko.timer import timer

from lianxin.auth import KeyReplica
from lianxin.consumer import Source, event_stream
from lianxin.instrumentation import Instrumentation, register_collector
from lianxin.mongo import StoreProvider
from lianxin.outages import Sweeper
from lianxin.outbox import SWEEP_INTERVAL_SECONDS
from lianxin.web import HealthCheck
from services.metrics import handlers
from services.metrics.batching import FactBatches
from services.metrics.gauges import CaseGauges
from services.metrics.http import MetricsHttp
from services.metrics.schemas import EVENTS
from services.metrics.store import MetricsStore


class MetricsStoreProvider(StoreProvider):
    """The store, plus the business gauges read from it at every scrape."""

    def setup(self) -> None:
        super().setup()
        register_collector(CaseGauges(self.repository))


class MetricsService(MetricsHttp, KeyReplica, HealthCheck):
    name = "metrics"

    store = MetricsStoreProvider(MetricsStore)
    facts = FactBatches(handlers.fold_facts)
    instrumentation = Instrumentation()
    sweeper = Sweeper()

    @event_stream("facts", Source("cases", "case.#"), Source("notify", "notification.#"))
    def count_event(self, message):
        event = EVENTS.read_if_known(message)
        if event is not None:
            handlers.count_event(self.facts, event)

    @timer(interval=SWEEP_INTERVAL_SECONDS, eager=True)
    def relay_outbox(self):
        self.sweeper.tick(self.store.recover)
