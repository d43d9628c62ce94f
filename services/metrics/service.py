"""The metrics service: a thin shell over its use cases (app/) and the parts compose.py
builds once (the repository, the evaluation policy, the zone book)."""

from nameko.timer import timer

from lianxin.access.replicas import KeyReplica
from lianxin.bus.batches import Batches
from lianxin.bus.consumer import Source, event_handler, event_stream
from lianxin.bus.outages import Sweeper
from lianxin.bus.outbox import SWEEP_INTERVAL_SECONDS
from lianxin.http.health import HealthCheck
from lianxin.instrumentation import Instrumentation
from lianxin.store.repository import PartsProvider
from services.metrics import compose
from services.metrics.app import counting, property_quarters
from services.metrics.domain.measures import PACT_EVENTS
from services.metrics.events import READS, ROSTER_EVENTS
from services.metrics.gauges.collector import REFRESH_SECONDS, BusinessGauges
from services.metrics.http.stats import StatsHttp

# Everything metrics counts arrives on one queue (docs/events.md): the case events, the
# notification outcomes, roster's hours, duty, expiries and areas, estate's fund payments and pact.
SOURCES = (
    Source("cases", "case.#"),
    Source("notify", "notification.#"),
    *(Source("roster", event_type) for event_type in ROSTER_EVENTS),
    Source("estate", "fund.payment_recorded"),
    *(Source("estate", event_type) for event_type in PACT_EVENTS),  # -- pact --
)


class MetricsService(StatsHttp, KeyReplica, HealthCheck):
    name = "metrics"

    parts = PartsProvider(compose.build)
    gauges = BusinessGauges()
    facts = Batches(counting.fold_facts, partition_of=lambda fact: fact.partition.id)
    instrumentation = Instrumentation()
    sweeper = Sweeper()

    @event_stream("facts", *SOURCES)
    def count_event(self, message):
        counting.count_message(self.facts, self.parts.zones, message)

    @event_handler("estate", "property.quarter_closed")
    def on_property_quarter_closed(self, message):
        """Each estate's latest closed quarter, for the property gauges."""
        property_quarters.on_quarter_closed(self.parts.store, READS.read(message))

    @timer(interval=REFRESH_SECONDS, eager=True)
    def refresh_gauges(self):
        self.sweeper.tick(self.gauges.refresh_aggregates)
        self.sweeper.tick(self.gauges.refresh_dead_letters)

    @timer(interval=SWEEP_INTERVAL_SECONDS, eager=True)
    def relay_outbox(self):
        self.sweeper.tick(self.parts.recover)
