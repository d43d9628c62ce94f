"""The console service: a thin shell over app/ (the pages are the mixins of http/)."""

from nameko.timer import timer

from lianxin.access.replicas import PersonAccessReplica
from lianxin.bus.batches import Batches
from lianxin.bus.consumer import Source, event_handler, event_stream
from lianxin.bus.outages import Sweeper
from lianxin.bus.outbox import SWEEP_INTERVAL_SECONDS
from lianxin.http.health import HealthCheck
from lianxin.instrumentation import Instrumentation
from lianxin.store.repository import PartsProvider
from services.console import compose
from services.console.app import board, people
from services.console.events import READS
from services.console.http.activities import ActivityPages
from services.console.http.assets import AssetRoutes
from services.console.http.board import BoardPages
from services.console.http.care import CarePages
from services.console.http.cases import CasePages
from services.console.http.fund import FundPages
from services.console.http.home import HomePages
from services.console.http.hours import HoursPages
from services.console.http.mediation import MediationPages
from services.console.http.my_cases import MyCasePages
from services.console.http.my_duty import MyDutyPages
from services.console.http.notices import NoticePages
from services.console.http.pact import PactPages
from services.console.http.property import PropertyPages
from services.console.http.registry import RegistryPages
from services.console.http.report_poster import ReportPosterPages
from services.console.http.resident_fund import ResidentFundPages
from services.console.http.residents_pact import ResidentsPactPages
from services.console.http.residents_progress import ResidentProgressPages
from services.console.http.residents_property import ResidentsPropertyPages
from services.console.http.residents_report import ResidentsReportPages
from services.console.http.rota import RotaPages
from services.console.http.sign_in import SignInPages
from services.console.http.stats import StatsPages
from services.console.http.unmatched import UnmatchedPages


class ConsoleService(
    SignInPages,
    HomePages,
    CasePages,
    BoardPages,
    RegistryPages,
    RotaPages,
    HoursPages,
    MyDutyPages,
    StatsPages,
    ResidentProgressPages,
    ResidentsReportPages,
    ReportPosterPages,
    MyCasePages,
    ActivityPages,
    CarePages,
    NoticePages,
    PropertyPages,
    ResidentsPropertyPages,
    MediationPages,
    FundPages,
    ResidentFundPages,
    PactPages,
    ResidentsPactPages,
    AssetRoutes,
    UnmatchedPages,  # before HealthCheck: its pages take the place of the JSON 404
    PersonAccessReplica,
    HealthCheck,
):
    name = "console"

    parts = PartsProvider(compose.build)
    instrumentation = Instrumentation()
    sweeper = Sweeper()
    board_events = Batches(board.fold_events, partition_of=lambda event: event.community_id)

    @event_handler("roster", "person.changed", from_source_only=True)
    def on_person_changed(self, message):
        payload = READS.read(message).payload
        people.on_person_changed(self.parts.store, self.parts.settings.secret, payload)

    @event_stream("board", Source("cases", "case.#"))
    def on_case_event(self, message):
        """Every case event moves the case's row of the board (app/board.py), folded with
        the community's other events of a quarter of a second; acked once stored."""
        envelope = READS.read_if_known(message)
        if envelope is not None:
            self.board_events([board.CaseEvent(envelope.type, envelope.payload)])

    @timer(interval=SWEEP_INTERVAL_SECONDS, eager=True)
    def sweep_leases(self):
        self.sweeper.tick(self.parts.store.recover)
