"""notify as real processes (`nameko run`, as supervisord starts it) on a RabbitMQ vhost
and database prefix of their own, so its tests need no other service: they put the
events of docs/events.md on the bus themselves, as the source service's broker user, and
a small `cases` RPC peer answers action links (tests/notify/cases_peer.py) as cases'."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from kombu import Connection, Exchange
from kombu.exceptions import OperationalError
from pymongo import MongoClient

from lianxin.bus import topology
from scripts.broker_users import BrokerUsers
from scripts.stack import SERVICES
from tests.conftest import MONGO_URI, RUN_ID, add_vhost, rabbitmqctl
from tests.ports import free_port
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
SIGNING_SECRET = "notify-test-signing-secret-0123"
TOKEN_SECRET = "notify-test-token-secret-456789"


def envelope(type_: str, payload: dict[str, Any], case_id: str | None = None) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": type_,
        "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "correlation_id": "notify-test",
        "case_id": case_id,
        "payload": payload,
    }


class NotifyRun:
    """Replicas of notify, plus the cases RPC peer; each a process with its own log."""

    def __init__(self, tmp: Path, env: dict[str, str], replicas: int = 2):
        self.tmp = tmp
        run = uuid.uuid4().hex[:6]
        self.vhost = f"lianxin-notify-{uuid.uuid4().hex[:8]}"
        self.amqp_uri = ""  # the administrator's, once the vhost is made
        self.users = BrokerUsers.fresh(f"lianxin-t{RUN_ID}n{run}-", SERVICES)
        self.prefix = f"t{RUN_ID}n{run}_"
        self.env = env
        self.replicas = replicas
        self.ports = [(free_port(), free_port()) for _ in range(replicas)]
        self.processes: dict[str, subprocess.Popen] = {}
        self.client = MongoClient(MONGO_URI, tz_aware=True)
        self.db = self.client[f"{self.prefix}notify"]
        self._publishers: dict[str, Connection] = {}

    # lifecycle

    def __enter__(self) -> NotifyRun:
        self.amqp_uri = add_vhost(self.vhost)
        self.users.grant(self.vhost)
        from services.notify.service import NotifyService

        topology.declare(self.amqp_uri, {"notify": NotifyService})
        for replica in range(self.replicas):
            self.start(replica)
        self.start_cases_peer()
        self.wait_ready()
        return self

    def __exit__(self, *exc) -> None:
        for publisher in self._publishers.values():
            publisher.release()
        for name in list(self.processes):
            self.stop(name)
        with contextlib.suppress(Exception):
            rabbitmqctl("delete_vhost", self.vhost)
        self.users.remove()
        for name in self.client.list_database_names():
            if name.startswith(self.prefix):
                self.client.drop_database(name)
        self.client.close()

    def start(self, replica: int = 0, **extra: str) -> None:
        http, metrics = self.ports[replica]
        env = {
            **os.environ,
            "AMQP_URI": self.users.uri(self.amqp_uri, "notify"),
            "BROKER_USER_PREFIX": self.users.prefix,
            "MONGO_URI": MONGO_URI,
            "MONGO_DB_PREFIX": self.prefix,
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{http}",
            "METRICS_ADDRESS": f"127.0.0.1:{metrics}",
            "LIANXIN_DEV_MODE": "false",
            "LIANXIN_TOKEN_SECRET": TOKEN_SECRET,
            "NOTIFY_SIGNING_SECRET": SIGNING_SECRET,
            "NOTIFY_PUBLIC_URL": f"http://127.0.0.1:{http}",
            "LEASE_TTL_SECONDS": "3",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **self.env,
            **extra,
        }
        config = ROOT / "deploy" / "config" / "notify.yaml"
        self._spawn(
            f"notify-{replica}",
            [
                sys.executable,
                "-m",
                "nameko",
                "run",
                "--config",
                str(config),
                "services.notify.service:NotifyService",
            ],
            env,
        )

    def start_cases_peer(self) -> None:
        config = self.tmp / "cases_peer.yaml"
        config.write_text(
            json.dumps(
                {
                    "AMQP_URI": self.users.uri(self.amqp_uri, "cases"),
                    "MONGO_URI": MONGO_URI,
                    "PEER_DB": f"{self.prefix}cases",
                    "max_workers": 4,
                }
            )
        )
        self._spawn(
            "cases-peer",
            [
                sys.executable,
                "-m",
                "nameko",
                "run",
                "--config",
                str(config),
                "tests.notify.cases_peer:CasesPeer",
            ],
            {**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        log = (self.tmp / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def stop(self, name: str, sig: signal.Signals = signal.SIGTERM) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Every running replica answers /healthz and consumes every notify queue."""
        from services.notify.service import NotifyService

        queues = list(topology.consumed_sources("notify", NotifyService))
        running = [int(n.split("-")[1]) for n in self.processes if n.startswith("notify-")]

        def ready() -> bool:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    pytest.fail(f"{name} exited:\n{self.log(name)[-3000:]}")
            for replica in running:
                try:
                    if requests.get(f"{self.url(replica)}/healthz", timeout=1).status_code != 200:
                        return False
                except requests.RequestException:
                    return False
            try:
                with Connection(self.amqp_uri, connect_timeout=10) as connection:
                    channel = connection.channel()
                    consumers = [channel.queue_declare(q, passive=True)[2] for q in queues]
                    rpc = _rpc_consumers(channel)
            except (OSError, OperationalError):  # a busy broker answers late: look again
                return False
            return min(consumers) >= len(running) and rpc

        wait_until("notify to be ready", ready, timeout)

    # what tests use

    def url(self, replica: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[replica][0]}"

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(self.log(path.stem) for path in self.tmp.glob("*.log"))

    def publish(self, source: str, message: dict[str, Any]) -> None:
        """As the source's outbox relay would: as its broker user, with `user_id`,
        confirmed, mandatory. One connection per source for the run, so a busy machine
        does not have a handshake time out per event."""
        exchange = Exchange(f"{source}.events", type="topic", durable=True)
        if source not in self._publishers:
            self._publishers[source] = Connection(
                self.users.uri(self.amqp_uri, source),
                connect_timeout=30,
                transport_options={"confirm_publish": True},
            )
        self._publishers[source].Producer().publish(
            message,
            exchange=exchange,
            routing_key=message["type"],
            serializer="json",
            user_id=self.users.user(source),
            mandatory=True,
            retry=True,
            retry_policy={"max_retries": 5, "interval_start": 0.5, "interval_step": 1},
        )

    def issue_key(self, scopes: list[str], communities: list[str]) -> str:
        """An API key as the cases service issues it: `apikey.changed` on the bus."""
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        self.publish(
            "cases",
            envelope(
                "apikey.changed",
                {
                    "id": key_id,
                    "name": "notify-test",
                    "scopes": scopes,
                    "communities": communities,
                    "secret_sha256": hashlib.sha256(secret.encode()).hexdigest(),
                    "version": 1,
                },
            ),
        )
        wait_until("the key in notify", lambda: self.db["api_keys"].find_one({"_id": key_id}))
        return f"lx_{key_id}_{secret}"

    def handled(self, stream: str = "case.#") -> float:
        """Events the replicas handled from a stream, from their Prometheus counters: a
        test waits on it to know a message was taken, not merely sent."""
        total = 0.0
        for replica, (_, metrics) in enumerate(self.ports):
            if f"notify-{replica}" not in self.processes:
                continue
            text = requests.get(f"http://127.0.0.1:{metrics}/metrics", timeout=5).text
            wanted = f'lianxin_events_handled_total{{event="{stream}",outcome="ok"}} '
            total += sum(
                float(line.split()[-1]) for line in text.splitlines() if line.startswith(wanted)
            )
        return total

    def delivery(self, delivery_id: str) -> dict[str, Any] | None:
        return self.db["deliveries"].find_one({"_id": delivery_id})

    def deliveries(self, **query: Any) -> list[dict[str, Any]]:
        return list(self.db["deliveries"].find(query))


def _rpc_consumers(channel) -> bool:
    try:
        return channel.queue_declare("rpc-cases", passive=True)[2] >= 1
    except Exception:
        return False
