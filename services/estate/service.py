"""The estate service: a thin shell over its use cases (app/) and HTTP routes (http/); its
repository is built by compose.py. It holds what belongs to an estate's self-governance
rather than to cases or the roster: the household register, the estate fund, the
residents' pact and the property company's evaluation."""

from nameko.timer import timer

from lianxin.access.replicas import KeyReplica
from lianxin.bus.consumer import event_handler
from lianxin.bus.outages import Sweeper
from lianxin.bus.outbox import SWEEP_INTERVAL_SECONDS
from lianxin.http.health import HealthCheck
from lianxin.instrumentation import Instrumentation
from lianxin.store.repository import PartsProvider
from services.estate import compose
from services.estate.app import fund, pact_places, property_complaints
from services.estate.events import READS
from services.estate.http.fund import FundHttp
from services.estate.http.households import HouseholdsHttp
from services.estate.http.pact import PactHttp
from services.estate.http.property import PropertyHttp


class EstateService(HouseholdsHttp, FundHttp, PropertyHttp, PactHttp, KeyReplica, HealthCheck):
    name = "estate"

    parts = PartsProvider(compose.build)
    instrumentation = Instrumentation()
    sweeper = Sweeper()

    @event_handler("roster", "hours.credited")
    def on_hours_credited(self, message):
        """A household member's ledger line, kept once for the estate fund."""
        event = READS.read(message)
        fund.on_hours_credited(self.parts.store, event.payload, event.occurred_at)

    # -- property evaluation --
    @event_handler("cases", "case.triaged")
    def on_case_triaged(self, message):
        """Complaints about the property company, each case counted once
        (app/property_complaints.py)."""
        property_complaints.on_case_triaged(
            self.parts.property, self.parts.property_rules, READS.read(message)
        )

    @event_handler("roster", "area.changed")  # -- pact --
    def on_area_changed(self, message):
        pact_places.on_area_changed(self.parts.store, READS.read(message).payload)

    @timer(interval=SWEEP_INTERVAL_SECONDS, eager=True)
    def relay_outbox(self):
        self.sweeper.tick(self.parts.recover)
