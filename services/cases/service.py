"""The cases service: a thin shell over handlers.py and reactions.py."""

from nameko.rpc import rpc
from nameko.timer import timer

from lianxin.access.replicas import PersonAccessReplica
from lianxin.access.tokens import TokenIssuer
from lianxin.bus.consumer import Source, event_handler, event_stream, on_deadline
from lianxin.bus.outages import Sweeper
from lianxin.bus.outbox import SWEEP_INTERVAL_SECONDS
from lianxin.clock import utc_now
from lianxin.http.health import HealthCheck
from lianxin.instrumentation import Instrumentation
from lianxin.store.repository import StoreProvider
from services.cases import handlers, reactions, timelimits
from services.cases.actions_http import ActionsHttp
from services.cases.events import DISPATCH, READS
from services.cases.hotline_http import HotlineHttp
from services.cases.http import CasesHttp
from services.cases.keys_http import KeysHttp
from services.cases.open311_http import Open311Http
from services.cases.store import CaseStore


class CasesService(
    CasesHttp,
    ActionsHttp,
    HotlineHttp,
    Open311Http,
    KeysHttp,
    PersonAccessReplica,
    HealthCheck,
):
    name = "cases"

    store = StoreProvider(CaseStore)
    tokens = TokenIssuer()
    instrumentation = Instrumentation()
    sweeper = Sweeper()

    @event_stream("roster-dispatch", *(Source("roster", event_type) for event_type in DISPATCH))
    def on_roster_dispatch(self, message):
        reactions.record_dispatch(self.store, READS.read(message), utc_now())

    @event_handler("roster", "area.changed")
    def on_area_changed(self, message):
        reactions.record_area(self.store, READS.read(message))

    @on_deadline(timelimits.TIMER)
    def on_timer(self, deadline):
        reactions.time_is_up(self.store, deadline, utc_now())

    @rpc
    def perform_action(self, case_id, action, person_id, role, note=None):
        """What a signed action link does (notify): accept, decline or resolve."""
        return handlers.perform_action(
            self.store, case_id, action, person_id, role, note or "", utc_now()
        )

    @timer(interval=SWEEP_INTERVAL_SECONDS, eager=True)
    def relay_outbox(self):
        self.sweeper.tick(self.store.recover)
