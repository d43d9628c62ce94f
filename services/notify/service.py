"""The notify service: a thin shell over its use cases (app/): names, dependencies and
entrypoints, each one call."""

from nameko.rpc import RpcProxy
from nameko.timer import timer

from lianxin.access.replicas import KeyReplica
from lianxin.bus.consumer import Source, event_handler, event_stream, on_deadline
from lianxin.bus.outages import Sweeper
from lianxin.bus.outbox import SWEEP_INTERVAL_SECONDS
from lianxin.clock import utc_now
from lianxin.http.health import HealthCheck
from lianxin.instrumentation import Instrumentation
from lianxin.store.repository import PartsProvider
from services.notify import compose
from services.notify.app import digests, notices, pipeline, reactions
from services.notify.events import CASE_EVENTS, READS, ROSTER_EVENTS
from services.notify.http.alerts import AlertsHttp
from services.notify.http.deliveries import DeliveriesHttp
from services.notify.http.links import ACTION_TIMEOUT_SECONDS, LinksHttp
from services.notify.http.notices import NoticesHttp
from services.notify.http.sign_in_codes import SignInCodesHttp
from services.notify.http.verification_codes import VerificationCodesHttp


class NotifyService(
    DeliveriesHttp, AlertsHttp, LinksHttp, SignInCodesHttp, VerificationCodesHttp, NoticesHttp,
    KeyReplica, HealthCheck,
):  # fmt: skip
    name = "notify"

    parts = PartsProvider(compose.build)
    cases = RpcProxy("cases", expiration=ACTION_TIMEOUT_SECONDS)
    instrumentation = Instrumentation()
    sweeper = Sweeper()

    @event_stream(
        "cases",
        *(Source("cases", event_type) for event_type in CASE_EVENTS),
        retired=[Source("cases", "case.#")],  # bound to every case event until 2026-11
        label="case.#",  # its metrics' name for it, as before: notify's case events
    )
    def on_case_event(self, message):
        event = READS.read_if_known(message)
        if event is not None:
            reactions.on_case_event(self.parts.store, self.parts.outbound, event, utc_now)

    @event_handler("cases", "hotline.reply")
    def on_hotline_reply(self, message):
        reactions.on_hotline_reply(
            self.parts.store, self.parts.outbound, READS.read(message), utc_now
        )

    @event_stream(
        "roster",
        *(Source("roster", event_type) for event_type in ROSTER_EVENTS),
        from_source_only=True,  # person.changed says who may act, and where links go
    )
    def on_roster_event(self, message):
        reactions.on_roster_event(
            self.parts.store, self.parts.outbound, READS.read(message), utc_now
        )

    @on_deadline(pipeline.ATTEMPT)
    def attempt_delivery(self, deadline):
        pipeline.attempt(self.parts.store, self.parts.outbound, deadline, utc_now)

    @on_deadline(pipeline.FALLBACK)
    def fall_back(self, deadline):
        pipeline.fall_back(self.parts.store, self.parts.outbound, deadline, utc_now)

    @on_deadline(digests.DIGEST)
    def flush_digest(self, deadline):
        pipeline.flush_digest(self.parts.store, self.parts.outbound, deadline, utc_now)

    @on_deadline(notices.PLAN)
    def plan_notice(self, deadline):
        notices.plan(self.parts.store, self.parts.outbound, deadline)

    @on_deadline(notices.BATCH)
    def send_notice_batch(self, deadline):
        notices.send_batch(self.parts.store, self.parts.outbound, deadline, utc_now)

    @timer(interval=SWEEP_INTERVAL_SECONDS, eager=True)
    def relay_outbox(self):
        self.sweeper.tick(self.parts.store.recover)
