"""The cases service: the nameko class, a thin shell. Each entrypoint calls one use case
(app/) on the parts compose.py built once: the repositories, the reference data and
the intake. HTTP entrypoints are the mixins of http/."""

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
from lianxin.store.repository import PartsProvider
from services.cases import compose
from services.cases.app import actions, reactions
from services.cases.domain import mediation, time_limits
from services.cases.events import DISPATCH, READS
from services.cases.http.actions import ActionsHttp
from services.cases.http.cases import CasesHttp
from services.cases.http.desk import DeskHttp
from services.cases.http.hotline import HotlineHttp
from services.cases.http.keys import KeysHttp
from services.cases.http.open311 import Open311Http
from services.cases.http.photos import PhotosHttp
from services.cases.http.progress import ProgressHttp


class CasesService(
    CasesHttp,
    ActionsHttp,
    DeskHttp,
    HotlineHttp,
    Open311Http,
    PhotosHttp,
    ProgressHttp,
    KeysHttp,
    PersonAccessReplica,
    HealthCheck,
):
    name = "cases"

    parts = PartsProvider(compose.build)
    tokens = TokenIssuer()
    instrumentation = Instrumentation()
    sweeper = Sweeper()

    @event_stream("roster-dispatch", *(Source("roster", event_type) for event_type in DISPATCH))
    def on_roster_dispatch(self, message):
        reactions.record_dispatch(self.parts.store, READS.read(message), utc_now())

    @event_handler("roster", "area.changed")
    def on_area_changed(self, message):
        reactions.record_area(self.parts.store, READS.read(message))

    @on_deadline(time_limits.TIMER)
    def on_timer(self, deadline):
        reactions.time_is_up(self.parts.store, self.parts.taxonomy, deadline, utc_now())

    @on_deadline(mediation.FOLLOW_UP_TIMER)
    def on_follow_up_due(self, deadline):
        reactions.follow_up_due(self.parts.store, deadline, utc_now())

    @rpc
    def perform_action(self, case_id, action, person_id, role, note=None):
        """What a signed action link does (notify): accept, decline or resolve."""
        return actions.perform_action(
            self.parts.store, case_id, action, person_id, role, note or "", utc_now()
        )

    @timer(interval=SWEEP_INTERVAL_SECONDS, eager=True)
    def relay_outbox(self):
        self.sweeper.tick(self.parts.recover)
