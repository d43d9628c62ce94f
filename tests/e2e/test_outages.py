"""A database or broker outage of a minute parks nothing and loses nothing.

During the outage, events arrive for every consuming service; each must hold its
message and wait the outage out (nothing counted against the message, nothing
dead-lettered), then apply it exactly once. HTTP answers 503 with Retry-After
meanwhile, and /healthz says what is away. The outage lasts
LIANXIN_OUTAGE_SECONDS (60 by default, the figure the data-layer issue names).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from kombu import Connection
from nameko.standalone.events import get_event_exchange
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from scripts.stack import SERVICES, consumed_queues
from tests.conftest import add_vhost, rabbitmqctl
from tests.e2e.conftest import (
    community,
    helper_headers,
    import_sample_community,
    new_stack,
    parked_about,
    report_body,
    report_case,
    stats,
    wait_for_state,
    wait_until,
    webhooks_for,
)
from tests.e2e.test_faults import events_in

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
OUTAGE_SECONDS = float(os.environ.get("LIANXIN_OUTAGE_SECONDS", "60"))
RECOVERY_SECONDS = 120


class OwnFerretDB:
    """A FerretDB process of this module's own (the binary `make infra` built), so its
    outage stops no one else's tests."""

    def __init__(self, data: Path):
        self.data = data
        self.port = free_port()
        self.uri = f"mongodb://127.0.0.1:{self.port}/"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                str(ROOT / "var" / "bin" / "ferretdb"),
                "--handler=sqlite",
                f"--sqlite-url=file:{self.data}/",
                f"--state-dir={self.data}",
                f"--listen-addr=127.0.0.1:{self.port}",
                f"--debug-addr=127.0.0.1:{free_port()}",
                "--telemetry=disable",
                "--log-level=error",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until("FerretDB to answer", self.answers, timeout=30)

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=30)

    def answers(self) -> bool:
        client = MongoClient(self.uri, serverSelectionTimeoutMS=500)
        try:
            client.admin.command("ping")
            return True
        except PyMongoError:
            return False
        finally:
            client.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def ferretdb(tmp_path_factory):
    own = OwnFerretDB(tmp_path_factory.mktemp("ferretdb"))
    own.start()
    yield own
    if own.process and own.process.poll() is None:
        own.stop()


@pytest.fixture(scope="module")
def outage_stack(ferretdb, broker_users, sink, tmp_path_factory):
    """The services on the module's own FerretDB and broker vhost."""
    vhost = f"lianxin-outage-{uuid.uuid4().hex[:8]}"
    amqp_uri = add_vhost(vhost)
    broker_users.grant(vhost)
    state_dir = tmp_path_factory.mktemp("stack")
    stack = new_stack(amqp_uri, broker_users, ferretdb.uri, "outage_", state_dir, sink)
    try:
        stack.up()
        import_sample_community(stack)
        yield stack
    finally:
        stack.down()
        rabbitmqctl("delete_vhost", vhost)


def counter(url: str, name: str) -> float:
    """The sum of a Prometheus counter over all its label sets."""
    total = 0.0
    for line in requests.get(url, timeout=5).text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def deferred(stack, service: str) -> float:
    """Handler runs put off for an outage, summed over the service's replicas."""
    return sum(
        counter(
            f"http://127.0.0.1:{stack.metrics_port(service, replica)}/metrics",
            "lianxin_events_deferred_total",
        )
        for replica in stack.replica_ids(service)
    )


def consumer_queues() -> list[str]:
    return [queue for service in SERVICES for queue in consumed_queues(service)]


def publish(amqp_uri: str, source: str, type_: str, payload: dict, case_id: str) -> str:
    event_id = str(uuid.uuid4())
    envelope = {
        "event_id": event_id,
        "type": type_,
        "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "correlation_id": "outage-test",
        "case_id": case_id,
        "payload": payload,
    }
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        connection.Producer().publish(
            envelope,
            exchange=get_event_exchange(source, {}),
            routing_key=type_,
            mandatory=True,
            delivery_mode=2,
        )
    return event_id


def about(case_id: str, place: str, state: str, previous: str, version: int) -> dict:
    """The block every case event starts with (docs/events.md)."""
    return {
        "case_id": case_id,
        "number": "OUT-20261121-0001",
        "community_id": place,
        "grid_id": "jingxiang-g1",
        "category": "facility.lighting",
        "team": "repair_crew",
        "priority": "normal",
        "channel": "app",
        "state": state,
        "previous_state": previous,
        "case_version": version,
        "overdue": False,
    }


def test_a_database_outage_parks_nothing_and_loses_nothing(outage_stack, ferretdb, sink):
    stack, amqp_uri = outage_stack, outage_stack.amqp_uri
    client = MongoClient(ferretdb.uri, tz_aware=True)
    db = lambda service: client[f"outage_{service}"]  # noqa: E731
    place = community("db")
    resolved = report_case(stack, place)
    resolved = wait_for_state(stack, resolved["id"], "dispatched")
    in_flight = [report_case(stack, place) for _ in range(4)]
    waits = {service: deferred(stack, service) for service in ("roster", "notify", "metrics")}

    ferretdb.stop()
    try:
        refused = requests.post(
            f"{stack.url('cases')}/v1/cases",
            json=report_body(place),
            headers=helper_headers(stack),  # issued and cached before the outage
            timeout=30,
        )
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "5"
        assert refused.json()["error"]["code"] == "database_unavailable"
        assert "27017" not in refused.text and "127.0.0.1" not in refused.text
        health = requests.get(f"{stack.url('cases')}/healthz", timeout=10)
        assert health.status_code == 503
        assert health.json()["checks"]["database"]["ok"] is False
        assert health.json()["checks"]["broker"]["ok"] is True
        assert requests.get(f"{stack.url('cases')}/livez", timeout=10).status_code == 200

        # one event for each consuming service, arriving while the database is away
        hours_event = publish(
            amqp_uri,
            "cases",
            "case.resolved",
            {
                **about(resolved["id"], place, "resolved", "accepted", 5),
                "person_id": resolved["assignee"],
                "resolution": "换了灯泡",
                "reported_at": resolved["reported_at"],
                "accepted_at": resolved["reported_at"],
                "resolved_at": datetime.now(UTC).isoformat(),
                "on_time": True,
                "first_time": True,
                "volunteer_hours": 2.0,
            },
            resolved["id"],
        )
        notice_case = f"LX-{uuid.uuid4().hex[:16].upper()}"
        publish(
            amqp_uri,
            "cases",
            "case.dispatched",
            {
                **about(notice_case, place, "dispatched", "triaged", 3),
                "offer_id": "OF-OUTAGE",
                "person_id": "p-repair-1",
                "display_name": "石**",
                "offer_expires_at": None,
                "accept_by": None,
                "resolve_by": None,
                "attempt": 1,
                "place": "第一网格",
                "category_label": {"zh": "楼道灯、路灯损坏", "en": "Broken stair or street light"},
                "description": "楼道灯坏了",
            },
            notice_case,
        )
        for service in ("roster", "notify", "metrics"):
            wait_until(
                f"{service} to wait for the database",
                lambda service=service: deferred(stack, service) > waits[service],
                timeout=30,
            )
        time.sleep(OUTAGE_SECONDS)  # the outage itself; nothing is waited for here
    finally:
        ferretdb.start()

    for case in in_flight:
        wait_for_state(stack, case["id"], "dispatched", timeout=RECOVERY_SECONDS)
    wait_until(
        "the notice sent during the outage",
        lambda: webhooks_for(sink, notice_case),
        timeout=RECOVERY_SECONDS,
    )
    expected = {"reported": 5, "dispatched": 6, "resolved": 1, "notified": 6}

    def counted() -> dict[str, int]:
        totals = stats(stack, place)
        return {name: totals[name] for name in expected}

    wait_until(  # 5 cases and the notice sent during the outage, each counted once
        "every count",  # metrics folds in batches: the last notification may count last
        lambda: counted() == expected,
        timeout=RECOVERY_SECONDS,
    )
    ledger = wait_until(  # roster may still be trying again after its own back-off
        "roster's hours line for the resolution",
        lambda: list(db("roster")["hours"].find({"case_id": resolved["id"]})),
        timeout=RECOVERY_SECONDS,
    )
    assert [line["_id"] for line in ledger] == ["H-" + hours_event]
    assert counted() == expected  # and none counted twice since
    assert len(webhooks_for(sink, notice_case)) == 1
    cases = [resolved, *in_flight]
    for case in cases:
        assert len(webhooks_for(sink, case["id"])) == 1
        assert db("roster")["offers"].count_documents({"case_id": case["id"]}) == 1
    mine = {case["id"] for case in cases} | {notice_case}
    assert parked_about(amqp_uri, consumer_queues(), mine) == []


def test_a_broker_outage_parks_nothing_and_loses_nothing(stack, sink, db, amqp_uri):
    place = community("mq")
    in_flight = [report_case(stack, place) for _ in range(3)]
    rabbitmqctl("stop_app")
    try:
        # intake goes on: the events wait in the cases' outboxes
        during = [report_case(stack, place) for _ in range(3)]
        stored = db("cases")["cases"].find_one({"_id": during[0]["id"]})
        assert events_in(stored["outbox"]) == ["case.reported", "case.triaged"]
        time.sleep(OUTAGE_SECONDS)  # the outage itself; nothing is waited for here
    finally:
        rabbitmqctl("start_app")

    cases = [*in_flight, *during]
    for case in cases:
        wait_for_state(stack, case["id"], "dispatched", timeout=RECOVERY_SECONDS)
    wait_until(
        "every count",
        lambda: stats(stack, place)["dispatched"] == len(cases),
        timeout=RECOVERY_SECONDS,
    )
    for case in cases:
        wait_until(
            "the dispatch webhook",
            lambda case=case: webhooks_for(sink, case["id"]),
            timeout=RECOVERY_SECONDS,
        )
        assert len(webhooks_for(sink, case["id"])) == 1
        assert db("roster")["offers"].count_documents({"case_id": case["id"]}) == 1
    assert stats(stack, place)["reported"] == len(cases)
    assert parked_about(amqp_uri, consumer_queues(), {case["id"] for case in cases}) == []
