"""The roster service: a thin shell over handlers.py."""

from nameko.timer import timer

from lianxin.auth import KeyReplica
from lianxin.clock import utc_now
from lianxin.consumer import event_handler
from lianxin.instrumentation import Instrumentation
from lianxin.mongo import StoreProvider
from lianxin.outages import Sweeper
from lianxin.outbox import SWEEP_INTERVAL_SECONDS
from lianxin.web import HealthCheck
from services.roster import handlers
from services.roster.http import RosterHttp
from services.roster.schemas import EVENTS
from services.roster.store import RosterStore


class RosterService(RosterHttp, KeyReplica, HealthCheck):
    name = "roster"

    store = StoreProvider(RosterStore)
    instrumentation = Instrumentation()
    sweeper = Sweeper()

    @event_handler("cases", "case.triaged")
    def on_case_triaged(self, message):
        handlers.offer_case(self.store, EVENTS.read(message), utc_now())

    @event_handler("cases", "case.resolved")
    def on_case_resolved(self, message):
        handlers.credit_hours(self.store, EVENTS.read(message))

    @timer(interval=SWEEP_INTERVAL_SECONDS, eager=True)
    def relay_outbox(self):
        self.sweeper.tick(self.store.recover)
