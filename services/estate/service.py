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
from services.estate.app import fund
from services.estate.events import READS
from services.estate.http.fund import FundHttp
from services.estate.http.households import HouseholdsHttp


class EstateService(HouseholdsHttp, FundHttp, KeyReplica, HealthCheck):
    name = "estate"

    parts = PartsProvider(compose.build)
    instrumentation = Instrumentation()
    sweeper = Sweeper()

    @event_handler("roster", "hours.credited")
    def on_hours_credited(self, message):
        """A household member's ledger line, kept once for the estate fund."""
        event = READS.read(message)
        fund.on_hours_credited(self.parts.store, event.payload, event.occurred_at)

    @timer(interval=SWEEP_INTERVAL_SECONDS, eager=True)
    def relay_outbox(self):
        self.sweeper.tick(self.parts.recover)
