"""What the bench watches: events on the bus, webhooks at the receiver, queues, counters.

- `Probe`: a queue of the bench's own (exclusive, auto-delete, no-ack) bound to an
  event exchange, e.g. `cases.events` with `case.dispatched`; each message is
  stamped on arrival and handed to a callback with its routing key and body.
- `Receiver`: the group robot's side of the notify webhook, HTTP/1.1 keep-alive
  like a real one; stamps each message on arrival and checks its signature.
- `queue_depths`: ready messages per queue (a passive declare), to wait until the
  services have drained everything before CPU is read.
- `service_counters`: a few Prometheus samples of each service, as evidence of
  where time went (handler time, deferred events, 503s).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
from kombu import Connection, Consumer, Exchange, Queue, binding
from prometheus_client.parser import text_string_to_metric_families

from services.notify.domain.signatures import SIGNATURE_HEADER, verify

OnEvent = Callable[[str, Any, float], None]


class Probe:
    def __init__(
        self, amqp_uri: str, exchange: str, routing_keys: Iterable[str], on_event: OnEvent
    ):
        self._amqp_uri = amqp_uri
        self._exchange = Exchange(exchange, type="topic", durable=True)
        self._queue = Queue(
            f"bench-probe-{exchange}-{uuid.uuid4().hex[:8]}",
            bindings=[binding(self._exchange, routing_key=key) for key in routing_keys],
            exclusive=True,
            auto_delete=True,
            durable=False,
        )
        self._on_event = on_event
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.received = 0
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"probe-{exchange}")

    def start(self) -> Probe:
        self._thread.start()
        if not self._ready.wait(15):
            raise RuntimeError(f"event probe on {self._exchange.name} did not start")
        if self._error:
            raise self._error
        return self

    def _run(self) -> None:
        try:
            with Connection(self._amqp_uri, heartbeat=0) as connection:
                channel = connection.channel()
                self._exchange(channel).declare()  # same arguments as nameko's: harmless
                with Consumer(channel, [self._queue], callbacks=[self._message], no_ack=True):
                    self._ready.set()
                    while not self._stop.is_set():
                        with contextlib.suppress(socket.timeout, TimeoutError):
                            connection.drain_events(timeout=0.2)
        except BaseException as exc:  # reported by start() or stop()
            self._error = exc
            self._ready.set()

    def _message(self, body: Any, message: Any) -> None:
        at = time.monotonic()
        self.received += 1
        self._on_event(message.delivery_info.get("routing_key", ""), body, at)

    def trouble(self) -> str | None:
        if self._error is None:
            return None
        return (
            f"the event probe on {self._exchange.name} lost the broker ({self._error!r}); "
            "was RabbitMQ restarted meanwhile?"
        )

    def check(self) -> None:
        """Raise if the probe lost its connection: events since then were not seen."""
        if self._error is not None:
            raise RuntimeError(self.trouble())

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class Receiver:
    """Takes signed webhooks; `on_message(body, at)` for each whose signature verifies."""

    def __init__(self, secret: str, on_message: Callable[[dict, float], None]):
        self.secret = secret
        self.received = 0
        self.unverified = 0
        self._on_message = on_message
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _take(self, headers, body: bytes) -> int:
        at = time.monotonic()
        if not verify(self.secret, headers.get(SIGNATURE_HEADER, ""), body, int(time.time())):
            with self._lock:
                self.unverified += 1
            return 401
        with self._lock:
            self.received += 1
        self._on_message(json.loads(body), at)
        return 204

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a group robot's endpoint

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver._take(self.headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):
                pass

        return Handler


def queue_depths(amqp_uri: str, names: Iterable[str]) -> dict[str, int]:
    """Ready messages per queue; a queue that does not exist counts as empty."""
    depths: dict[str, int] = {}
    with Connection(amqp_uri) as connection:
        for name in names:
            channel = connection.channel()
            try:
                _, messages, _ = channel.queue_declare(queue=name, passive=True)
                depths[name] = messages
            except Exception:
                depths[name] = 0
            finally:
                with contextlib.suppress(Exception):
                    channel.close()
    return depths


def wait_drained(
    amqp_uri: str, names: list[str], done: Callable[[], bool], timeout: float
) -> tuple[bool, float]:
    """Until `done()` and every queue is empty twice in a row. Returns (drained, seconds)."""
    started = time.monotonic()
    empty_in_a_row = 0
    while time.monotonic() - started < timeout:
        if done() and sum(queue_depths(amqp_uri, names).values()) == 0:
            empty_in_a_row += 1
            if empty_in_a_row >= 2:
                return True, time.monotonic() - started
        else:
            empty_in_a_row = 0
        time.sleep(0.25)
    return False, time.monotonic() - started


COUNTERS = (
    "lianxin_handler_duration_seconds",
    "lianxin_events_deferred",
    "lianxin_events_retried",
    "lianxin_events_dead_lettered",
    "lianxin_outbox_publish_failures",
    "lianxin_http_requests",
)


def service_counters(metrics_url: str) -> dict[str, Any]:
    """Handler time per entrypoint (count, mean ms) and the trouble counters of one service."""
    try:
        text = requests.get(metrics_url, timeout=5).text
    except requests.RequestException as exc:
        return {"error": str(exc)}
    handlers: dict[str, dict[str, float]] = {}
    trouble: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name not in COUNTERS:
            continue
        for sample in family.samples:
            if family.name == "lianxin_handler_duration_seconds":
                if sample.name.endswith("_count") or sample.name.endswith("_sum"):
                    entry = handlers.setdefault(sample.labels["entrypoint"], {})
                    entry[sample.name.rsplit("_", 1)[1]] = sample.value
            elif sample.name.endswith("_total") and sample.value:
                if family.name == "lianxin_http_requests" and not sample.labels.get(
                    "status", ""
                ).startswith("5"):
                    continue
                name = sample.name.removeprefix("lianxin_").removesuffix("_total")
                labels = dict(sample.labels)
                if "queue" in labels:  # evt-cases-apikey.changed--roster.on_… → cases-apikey…
                    labels["queue"] = labels["queue"].removeprefix("evt-").split("--")[0]
                label = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
                trouble[f"{name} {label}".strip()] = sample.value
    return {
        "handlers": {
            name: {
                "count": int(entry.get("count", 0)),
                "mean_ms": round(1000 * entry.get("sum", 0) / entry["count"], 2),
            }
            for name, entry in handlers.items()
            if entry.get("count")
        },
        "trouble": trouble,
    }


def ferretdb_commands(url: str | None) -> dict[str, float] | None:
    """FerretDB's count of commands received so far, by command (its debug endpoint's
    `ferretdb_client_requests_total`); None when there is no such endpoint (MongoDB).
    It counts every client of that FerretDB: other work on the machine shows up too."""
    if not url:
        return None
    try:
        text = requests.get(url, timeout=2).text
    except requests.RequestException:
        return None
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name != "ferretdb_client_requests":
            continue
        for sample in family.samples:
            if sample.name.endswith("_total"):
                command = sample.labels.get("command", "?")
                counts[command] = counts.get(command, 0.0) + sample.value
    return counts or None


def commands_by_service(
    log: Path, db_prefix: str, since: float, until: float, cases: int
) -> dict[str, dict[str, float]] | None:
    """What each service sent its database per case between two moments, by collection
    and command ("leases insert"), from the services' query log (`--command-log`,
    lianxin.store.query_log.QueryLog): where a case's commands go, which FerretDB's own count
    does not tell. Commands without a filter or document (hello, getMore) are not in
    the log; an update or delete counts once per statement (the repositories send one)."""
    if not cases or not log.exists():
        return None
    counts: Counter[tuple[str, str]] = Counter()
    with log.open(encoding="utf-8") as lines:
        for line in lines:
            entry = json.loads(line)
            if entry["db"].startswith(db_prefix) and since <= entry.get("at", 0.0) <= until:
                service = entry["db"][len(db_prefix) :]
                counts[service, f"{entry['collection']} {entry['command']}"] += 1
    by_service: dict[str, dict[str, float]] = {}
    for service in sorted({service for service, _ in counts}):
        own = {what: count for (name, what), count in counts.items() if name == service}
        figures = {"total": round(sum(own.values()) / cases, 2)}
        for what, count in sorted(own.items(), key=lambda item: -item[1]):
            if count / cases >= 0.01:
                figures[what] = round(count / cases, 2)
        by_service[service] = figures
    return by_service


def per_case(
    before: dict[str, float] | None, after: dict[str, float] | None, cases: int
) -> dict[str, float] | None:
    if before is None or after is None or not cases:
        return None
    counts = {name: after.get(name, 0.0) - before.get(name, 0.0) for name in after}
    figures = {
        name: round(value / cases, 2)
        for name, value in sorted(counts.items(), key=lambda item: -item[1])
        if value / cases >= 0.01
    }
    figures["total"] = round(sum(counts.values()) / cases, 2)
    return figures
