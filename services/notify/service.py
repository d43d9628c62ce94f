"""The notify service: a thin shell over handlers.py."""

from nameko.timer import timer

from lianxin.auth import KeyReplica
from lianxin.clock import utc_now
from lianxin.consumer import event_handler
from lianxin.instrumentation import Instrumentation
from lianxin.mongo import StoreProvider
from lianxin.outages import Sweeper
from lianxin.outbox import SWEEP_INTERVAL_SECONDS
from lianxin.web import HealthCheck
from services.notify import handlers
from services.notify.channels import OutboundProvider
from services.notify.http import NotifyHttp
from services.notify.schemas import EVENTS
from services.notify.store import NotifyStore


class NotifyService(NotifyHttp, KeyReplica, HealthCheck):
    name = "notify"

    store = StoreProvider(NotifyStore)
    outbound = OutboundProvider()
    instrumentation = Instrumentation()
    sweeper = Sweeper()

    @event_handler("cases", "case.dispatched")
    @event_handler("cases", "case.escalated")
    def deliver_notification(self, message):
        handlers.deliver(self.store, self.outbound, EVENTS.read(message), utc_now())

    @timer(interval=SWEEP_INTERVAL_SECONDS, eager=True)
    def relay_outbox(self):
        self.sweeper.tick(self.store.recover)
