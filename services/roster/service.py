"""The roster service: a thin shell over its use cases (app/) and HTTP routes (http/);
its repository is built by compose.py."""

from nameko.timer import timer

from lianxin.access.replicas import KeyReplica
from lianxin.bus.consumer import Source, event_stream, on_deadline
from lianxin.bus.outages import Sweeper
from lianxin.bus.outbox import SWEEP_INTERVAL_SECONDS
from lianxin.clock import utc_now
from lianxin.http.health import HealthCheck
from lianxin.instrumentation import Instrumentation
from lianxin.store.repository import PartsProvider
from services.roster import compose
from services.roster.app import care, dispatch, rota_clock
from services.roster.events import CASE_EVENTS, READS
from services.roster.http.activities import ActivitiesHttp
from services.roster.http.care import CareHttp
from services.roster.http.duty import DutyHttp
from services.roster.http.feed_tokens import FeedTokens
from services.roster.http.ledger import LedgerHttp
from services.roster.http.registry import RegistryHttp

CASE_SOURCES = [Source("cases", event_type) for event_type in CASE_EVENTS]


class RosterService(
    RegistryHttp, DutyHttp, LedgerHttp, ActivitiesHttp, CareHttp, KeyReplica, HealthCheck
):
    name = "roster"

    parts = PartsProvider(compose.build)
    feeds = FeedTokens()
    instrumentation = Instrumentation()
    sweeper = Sweeper()

    @event_stream("cases", *CASE_SOURCES)
    def on_case_event(self, message):
        """One queue for the case events roster follows, so a case's events mostly
        arrive in the order they happened; the dispatch orders them by case version."""
        dispatch.on_case_event(self.parts.store, READS.read(message), utc_now())

    @on_deadline(dispatch.OFFER_EXPIRY)
    def on_offer_expiry(self, deadline):
        dispatch.on_offer_expiry(self.parts.store, deadline, utc_now())

    @on_deadline(dispatch.ESCALATION_STEP)
    def on_escalation_step(self, deadline):
        dispatch.on_escalation_step(self.parts.store, deadline, utc_now())

    @on_deadline(dispatch.SHIFT_START)
    def on_shift_start(self, deadline):
        dispatch.on_shift_start(self.parts.store, deadline, utc_now())

    @on_deadline(rota_clock.ROTA_TICK)
    def on_rota_tick(self, deadline):
        rota_clock.on_rota_tick(self.parts.store, deadline, utc_now())

    @on_deadline(care.CARE_ROUND_CHECK)
    def on_care_round_check(self, deadline):
        care.on_round_check(self.parts.store, deadline, utc_now())

    @timer(interval=SWEEP_INTERVAL_SECONDS, eager=True)
    def relay_outbox(self):
        self.sweeper.tick(self.parts.store.recover)
