"""The metrics service: a thin shell over handlers.py."""

from nameko.timer import timer

from lianxin.access.replicas import KeyReplica
from lianxin.bus.consumer import Source, event_stream
from lianxin.bus.outages import Sweeper
from lianxin.bus.outbox import SWEEP_INTERVAL_SECONDS
from lianxin.http.health import HealthCheck
from lianxin.instrumentation import Instrumentation
from lianxin.store.repository import StoreProvider
from services.metrics import handlers
from services.metrics.batching import FactBatches
from services.metrics.events import READS, ROSTER_EVENTS
from services.metrics.gauges import REFRESH_SECONDS, BusinessGauges
from services.metrics.http import MetricsHttp
from services.metrics.store import MetricsStore
from services.metrics.zones import CommunityZones

# Everything metrics counts arrives on one queue (docs/events.md): the case events, the
# notification outcomes, and roster's hours, duty, expiries and areas.
SOURCES = (
    Source("cases", "case.#"),
    Source("notify", "notification.#"),
    *(Source("roster", event_type) for event_type in ROSTER_EVENTS),
)


class MetricsService(MetricsHttp, KeyReplica, HealthCheck):
    name = "metrics"

    store = StoreProvider(MetricsStore)
    zones = CommunityZones()
    gauges = BusinessGauges()
    facts = FactBatches(handlers.fold_facts)
    instrumentation = Instrumentation()
    sweeper = Sweeper()

    @event_stream("facts", *SOURCES)
    def count_event(self, message):
        event = READS.read_if_known(message)
        if event is not None:
            handlers.count_event(self.facts, self.zones, event)

    @timer(interval=REFRESH_SECONDS, eager=True)
    def refresh_gauges(self):
        self.sweeper.tick(self.gauges.refresh_aggregates)
        self.sweeper.tick(self.gauges.refresh_dead_letters)

    @timer(interval=SWEEP_INTERVAL_SECONDS, eager=True)
    def relay_outbox(self):
        self.sweeper.tick(self.store.recover)
