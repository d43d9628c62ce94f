"""Control events are accepted only from their source service's broker user, however they
travel: first delivery, retries through the consumer's own delay tiers, replays.

A small nameko service (control_probe.py) consumes a control event of `cases` as roster's
broker user, on a vhost with the session's service users granted; the tests publish as
cases' user, as the administrator, and as another service's user.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from amqp.exceptions import PreconditionFailed
from kombu import Connection, Exchange, Queue

from lianxin.bus import deadletters, topology
from lianxin.bus.consumer import ERROR_HEADER, dead_letter_queue_name
from tests.conftest import RUN_ID, add_vhost, rabbitmqctl
from tests.shared.control_probe import ControlProbe
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
QUEUE = "evt-cases-probe.changed--roster.on_probe_changed"
CASES_EVENTS = Exchange("cases.events", type="topic", durable=True)


class Probe:
    def __init__(self, admin_uri: str, users, db):
        self.admin_uri = admin_uri
        self.users = users
        self.db = db

    def publish(
        self,
        event: dict,
        as_service: str | None = None,
        exchange: Exchange = CASES_EVENTS,
        **properties,
    ) -> None:
        """As a service's user, stamped as its relay stamps (None: as the administrator)."""
        if as_service is not None:
            properties.setdefault("user_id", self.users.user(as_service))
        uri = self.admin_uri if as_service is None else self.users.uri(self.admin_uri, as_service)
        with Connection(uri, transport_options={"confirm_publish": True}) as connection:
            connection.Producer().publish(
                event,
                exchange=exchange,
                routing_key="probe.changed",
                serializer="json",
                mandatory=True,
                **properties,
            )

    def applied(self, event: dict) -> bool:
        return self.db["applied"].find_one({"_id": event["event_id"]}) is not None

    def attempts(self, event: dict) -> int:
        return self.db["attempts"].count_documents({"event_id": event["event_id"]})

    def parked(self, event: dict):
        """The event's copy in the dead-letter queue, left there, or None."""
        with Connection(self.admin_uri) as connection:
            channel = connection.channel()
            dead = Queue(dead_letter_queue_name(QUEUE), no_declare=True)(channel)
            found = None
            while found is None and (message := dead.get(no_ack=False)) is not None:
                if json.loads(message.body)["event_id"] == event["event_id"]:
                    found = message
            channel.close()  # unacknowledged: every message stays parked
        return found


@pytest.fixture(scope="module")
def probe(broker_users, mongo_client, db_prefix, tmp_path_factory):
    vhost = f"lianxin-test-{RUN_ID}-control-{uuid.uuid4().hex[:6]}"
    admin_uri = add_vhost(vhost)
    broker_users.grant(vhost)
    topology.declare(admin_uri, {"roster": ControlProbe})
    db = mongo_client[f"{db_prefix}control_{uuid.uuid4().hex[:6]}"]
    tmp = tmp_path_factory.mktemp("control")
    config = tmp / "probe.yaml"
    config.write_text(
        json.dumps(
            {
                "AMQP_URI": broker_users.uri(admin_uri, "roster"),
                "BROKER_USER_PREFIX": broker_users.prefix,
                "MONGO_URI": "mongodb://127.0.0.1:27017/",
                "PROBE_DB": db.name,
                "HANDLER_MAX_ATTEMPTS": 3,
                "HANDLER_RETRY_BASE_SECONDS": 0.2,
                "max_workers": 4,
            }
        )
    )
    log = (tmp / "probe.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "nameko", "run", "--config", str(config),
         "tests.shared.control_probe:ControlProbe"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ},
    )  # fmt: skip
    try:
        with Connection(admin_uri) as connection:
            wait_until(
                "the probe to consume",
                lambda: connection.channel().queue_declare(QUEUE, passive=True).consumer_count,
            )
        yield Probe(admin_uri, broker_users, db)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        mongo_client.drop_database(db.name)
        rabbitmqctl("delete_vhost", vhost)


def probe_event(fail_first: int = 0) -> dict:
    return {"event_id": str(uuid.uuid4()), "type": "probe.changed", "fail_first": fail_first}


def test_an_event_its_source_published_is_applied_after_a_retry_through_its_own_tiers(probe):
    event = probe_event(fail_first=1)
    probe.publish(event, as_service="cases")
    wait_until("the event applied on its second attempt", lambda: probe.applied(event))
    assert probe.attempts(event) == 2


@pytest.mark.parametrize("stamp", [{}, {"user_id": "guest"}], ids=["no-user-id", "administrator"])
def test_an_event_its_source_did_not_publish_is_parked_unhandled(probe, stamp):
    event = probe_event()
    probe.publish(event, **stamp)
    parked = wait_until("the event parked", lambda: probe.parked(event))
    assert parked.headers[ERROR_HEADER].startswith("refused: published by ")
    assert not probe.applied(event) and probe.attempts(event) == 0


def test_another_service_cannot_claim_the_source_services_user(probe):
    """Not even on its own exchange: RabbitMQ checks `user_id` against the login."""
    roster_events = Exchange("roster.events", type="topic", durable=True)
    with pytest.raises(PreconditionFailed):
        probe.publish(probe_event(), "roster", roster_events, user_id=probe.users.user("cases"))


def test_a_replay_keeps_the_first_publisher_so_only_the_sources_event_is_applied(probe):
    forged, genuine = probe_event(), probe_event()
    probe.db["broken"].insert_one({"_id": "broken"})
    try:
        probe.publish(forged)
        probe.publish(genuine, as_service="cases")
        wait_until("both parked", lambda: probe.parked(forged) and probe.parked(genuine))
        assert probe.attempts(genuine) == 3  # the handler's three attempts, all failed
    finally:
        probe.db["broken"].delete_one({"_id": "broken"})
    replayed = deadletters.replay(probe.admin_uri, QUEUE, {forged["event_id"], genuine["event_id"]})
    assert replayed == 2
    wait_until("the genuine event applied", lambda: probe.applied(genuine))
    refused = wait_until("the forged one parked again", lambda: probe.parked(forged))
    assert refused.headers[ERROR_HEADER].startswith("refused: published by ")
    assert not probe.applied(forged) and probe.attempts(forged) == 0
