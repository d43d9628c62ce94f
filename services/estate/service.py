"""The estate service: a thin shell over its use cases (app/) and HTTP routes (http/); its
repository is built by compose.py. It holds what belongs to an estate's self-governance
rather than to cases or the roster: the household register and the estate fund."""

from nameko.timer import timer

from lianxin.access.replicas import KeyReplica
from lianxin.bus.consumer import event_handler
from lianxin.bus.outages import Sweeper
from lianxin.bus.outbox import SWEEP_INTERVAL_SECONDS
from lianxin.http.health import HealthCheck
from lianxin.instrumentation import Instrumentation
from lianxin.store.repository import PartsProvider
from services.estate import compose
from services.estate.app import pact_places
from services.estate.events import READS
from services.estate.http.households import HouseholdsHttp
from services.estate.http.pact import PactHttp


class EstateService(HouseholdsHttp, PactHttp, KeyReplica, HealthCheck):
    name = "estate"

    parts = PartsProvider(compose.build)
    instrumentation = Instrumentation()
    sweeper = Sweeper()

    @event_handler("roster", "area.changed")  # -- pact --
    def on_area_changed(self, message):
        pact_places.on_area_changed(self.parts.store, READS.read(message).payload)

    @timer(interval=SWEEP_INTERVAL_SECONDS, eager=True)
    def relay_outbox(self):
        self.sweeper.tick(self.parts.recover)
