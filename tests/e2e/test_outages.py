"""A database or broker outage parks nothing and loses nothing.

During the outage, events arrive for every consuming service; each must hold its
message and wait the outage out (nothing counted against the message, nothing
dead-lettered), then apply it exactly once. HTTP answers 503 with Retry-After
meanwhile, and /healthz says what is away.

The outages last LIANXIN_OUTAGE_SECONDS: 20 by default (`make test`), longer than any retry
budget of the stack (handler retries 0.2 + 0.4 + 0.8 s, notify's sends 1 + 2 + 4 s, leases
of 3 s), so a consumer that did not wait the outage out would park or give up, and long
enough for the consumers' back-off to reach its 10-second cap (0.25 s doubling, after
about 16 s). `make soak` holds them for 60 s, the figure the data-layer issue names.

The stack here runs on a FerretDB and a RabbitMQ node of this module's own, so taking
them down stops no one else's tests: not another pytest worker's, not another run's.
"""

from __future__ import annotations

import json
import os
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

from scripts.broker_users import BrokerUsers
from scripts.stack import SERVICES, consumed_queues
from tests.e2e.conftest import (
    community,
    ensure_community,
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
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
OUTAGE_SECONDS = float(os.environ.get("LIANXIN_OUTAGE_SECONDS", "20"))
RECOVERY_SECONDS = 120
# What tells a hung test from a slow one here. pytest-timeout counts the module's fixtures
# in its first test, and they start a RabbitMQ node, a FerretDB and a stack of this
# module's own: 80 s on an idle machine, past 250 s under `make test`'s other two workers
# on a slow day (a CI run failed at the global 300 s inside the first test's first steps).
DEADLINE_SECONDS = 360 + 2 * RECOVERY_SECONDS + 2 * OUTAGE_SECONDS

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(DEADLINE_SECONDS)]
# Debian's rabbitmq-server and rabbitmqctl proper: the wrappers on PATH run them as the
# rabbitmq user, with that user's home and Erlang cookie, for the machine's own node
RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")


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


class OwnRabbitMQ:
    """A RabbitMQ node of this module's own (Debian's package, no plugins, listening on
    127.0.0.1 only), with its data, logs and Erlang cookie under `data`, so stopping it
    stops no one else's tests. About 3 s to boot."""

    def __init__(self, data: Path):
        self.data = data
        self.port = free_port()
        self.node = f"lianxin-outage-{uuid.uuid4().hex[:8]}@localhost"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        (self.data / "enabled_plugins").write_text("[].\n")
        (self.data / "rabbitmq.conf").write_text(f"listeners.tcp.1 = 127.0.0.1:{self.port}\n")
        env = {
            **self._env(),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(self.data / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.data / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.data / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.data / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(self.data / "rabbitmq-env.conf"),  # none: not /etc's
            "RABBITMQ_PID_FILE": str(self.data / "rabbitmq.pid"),
        }
        with (self.data / "server.log").open("w") as log:
            self.process = subprocess.Popen(
                [str(RABBITMQ_BIN / "rabbitmq-server")],
                cwd=self.data,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until("RabbitMQ to boot", self._booted, timeout=60)

    def stop(self) -> None:
        assert self.process is not None
        self.ctl("stop")
        self.process.wait(timeout=30)

    def ctl(self, *args: str, stdin: str | None = None) -> None:
        """rabbitmqctl on this node."""
        subprocess.run(
            [str(RABBITMQ_BIN / "rabbitmqctl"), "-q", "-n", self.node, *args],
            env=self._env(),
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )

    def add_vhost(self, vhost: str, users: BrokerUsers) -> str:
        """A vhost with the services' users granted as in production and the administrator
        (guest, from localhost) allowed everything; its URI."""
        self.ctl("import_definitions", stdin=json.dumps(users.definitions(vhost)))
        self.ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        return f"amqp://guest:guest@127.0.0.1:{self.port}/{vhost}"

    def _env(self) -> dict[str, str]:
        return {**os.environ, "HOME": str(self.data)}  # the Erlang cookie server and CLI share

    def _booted(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            log = (self.data / "server.log").read_text(errors="replace")[-3000:]
            pytest.fail(f"RabbitMQ exited with {self.process.returncode}:\n{log}")
        waited = subprocess.run(
            [str(RABBITMQ_BIN / "rabbitmqctl"), "-q", "-n", self.node, "await_startup"],
            env=self._env(),
            capture_output=True,
            timeout=60,
        )
        return waited.returncode == 0


@pytest.fixture(scope="module")
def ferretdb(tmp_path_factory):
    own = OwnFerretDB(tmp_path_factory.mktemp("ferretdb"))
    own.start()
    yield own
    if own.process and own.process.poll() is None:
        own.stop()


@pytest.fixture(scope="module")
def rabbitmq(tmp_path_factory):
    if not (RABBITMQ_BIN / "rabbitmq-server").exists():
        pytest.fail(f"no {RABBITMQ_BIN}: `make infra` installs Debian's rabbitmq-server")
    own = OwnRabbitMQ(tmp_path_factory.mktemp("rabbitmq"))
    own.start()
    yield own
    if own.process and own.process.poll() is None:
        own.stop()


@pytest.fixture(scope="module")
def outage_stack(ferretdb, rabbitmq, broker_users, sink, tmp_path_factory):
    """The services on the module's own FerretDB and RabbitMQ, which its tests take down."""
    amqp_uri = rabbitmq.add_vhost("lianxin-outage", broker_users)
    state_dir = tmp_path_factory.mktemp("stack")
    stack = new_stack(amqp_uri, broker_users, ferretdb.uri, "outage_", state_dir, sink)
    try:
        stack.up()
        import_sample_community(stack)
        yield stack
    finally:
        stack.down()


@pytest.fixture(scope="module")
def outage_db(ferretdb):
    """The services' databases on the module's FerretDB, for checking what they stored."""
    client = MongoClient(ferretdb.uri, tz_aware=True)
    yield lambda service: client[f"outage_{service}"]
    client.close()


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


def test_a_database_outage_parks_nothing_and_loses_nothing(outage_stack, outage_db, ferretdb, sink):
    stack, amqp_uri, db = outage_stack, outage_stack.amqp_uri, outage_db
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


def test_a_broker_outage_parks_nothing_and_loses_nothing(outage_stack, outage_db, rabbitmq, sink):
    stack, amqp_uri, db = outage_stack, outage_stack.amqp_uri, outage_db
    place = community("mq")
    in_flight = [report_case(stack, place) for _ in range(3)]
    rabbitmq.ctl("stop_app")
    try:
        # intake goes on: the events wait in the cases' outboxes
        during = [report_case(stack, place) for _ in range(3)]
        stored = db("cases")["cases"].find_one({"_id": during[0]["id"]})
        assert events_in(stored["outbox"]) == ["case.reported", "case.triaged"]
        time.sleep(OUTAGE_SECONDS)  # the outage itself; nothing is waited for here
    finally:
        rabbitmq.ctl("start_app")

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


def test_a_broker_restart_loses_nothing_and_doubles_nothing(
    outage_stack, outage_db, rabbitmq, sink
):
    """A case reported while the broker restarts is dispatched, delivered and counted once
    it is back, exactly once."""
    stack, db = outage_stack, outage_db
    place = community("f")
    ensure_community(stack, place)  # its areas reach cases before the broker goes
    helper_headers(stack)
    rabbitmq.ctl("stop_app")
    try:
        case_id = report_case(stack, place)["id"]  # accepted while the broker is down: events wait
        stored = db("cases")["cases"].find_one({"_id": case_id})
        assert events_in(stored["outbox"]) == ["case.reported", "case.triaged"]
    finally:
        rabbitmq.ctl("start_app")

    wait_for_state(stack, case_id, "dispatched", timeout=90)
    wait_until("the dispatch webhook", lambda: webhooks_for(sink, case_id), timeout=60)
    wait_until("the statistics", lambda: stats(stack, place)["dispatched"] == 1, timeout=60)
    assert stats(stack, place)["reported"] == 1
    assert db("roster")["offers"].count_documents({"case_id": case_id}) == 1
    assert len(webhooks_for(sink, case_id)) == 1
