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
from services.estate.app import fund, property_complaints
from services.estate.events import READS
from services.estate.http.fund import FundHttp
from services.estate.http.households import HouseholdsHttp
from services.estate.http.property import PropertyHttp


class EstateService(HouseholdsHttp, FundHttp, PropertyHttp, KeyReplica, HealthCheck):
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

    @timer(interval=SWEEP_INTERVAL_SECONDS, eager=True)
    def relay_outbox(self):
        self.sweeper.tick(self.parts.recover)
