"""The cases service: a thin shell over handlers.py."""

from nameko.timer import timer

from lianxin.auth import TokenIssuer
from lianxin.clock import utc_now
from lianxin.consumer import event_handler
from lianxin.instrumentation import Instrumentation
from lianxin.mongo import StoreProvider
from lianxin.outages import Sweeper
from lianxin.outbox import SWEEP_INTERVAL_SECONDS
from lianxin.web import HealthCheck
from services.cases import handlers
from services.cases.http import CasesHttp, KeysHttp
from services.cases.schemas import EVENTS
from services.cases.store import CaseStore


class CasesService(CasesHttp, KeysHttp, HealthCheck):
    name = "cases"

    store = StoreProvider(CaseStore)
    tokens = TokenIssuer()
    instrumentation = Instrumentation()
    sweeper = Sweeper()

    @event_handler("roster", "offer.made")
    def on_offer_made(self, message):
        handlers.record_offer(self.store, EVENTS.read(message), utc_now())

    @event_handler("roster", "escalation.required")
    def on_escalation_required(self, message):
        handlers.record_escalation(self.store, EVENTS.read(message), utc_now())

    @timer(interval=SWEEP_INTERVAL_SECONDS, eager=True)
    def relay_outbox(self):
        self.sweeper.tick(self.store.recover)
