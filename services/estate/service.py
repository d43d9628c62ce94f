"""The estate service: a thin shell over its use cases (app/) and HTTP routes (http/); its
repository is built by compose.py. It holds what belongs to an estate's self-governance
rather than to cases or the roster: the household register and the estate fund."""

from nameko.timer import timer

from lianxin.access.replicas import KeyReplica
from lianxin.bus.outages import Sweeper
from lianxin.bus.outbox import SWEEP_INTERVAL_SECONDS
from lianxin.http.health import HealthCheck
from lianxin.instrumentation import Instrumentation
from lianxin.store.repository import PartsProvider
from services.estate import compose
from services.estate.http.households import HouseholdsHttp


class EstateService(HouseholdsHttp, KeyReplica, HealthCheck):
    name = "estate"

    parts = PartsProvider(compose.build)
    instrumentation = Instrumentation()
    sweeper = Sweeper()

    @timer(interval=SWEEP_INTERVAL_SECONDS, eager=True)
    def relay_outbox(self):
        self.sweeper.tick(self.parts.recover)
