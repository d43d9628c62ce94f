"""Start and stop the four services as separate processes, and wait until they are ready.

Used by `make up` / `make run` / `make stop`, and by the end-to-end tests, which
give each run its own ports, RabbitMQ vhost and database prefix.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import click
import requests
from kombu import Connection
from rich.console import Console

from lianxin import topology as queues

ROOT = Path(__file__).resolve().parent.parent
SERVICES = {
    "cases": "services.cases.service:CasesService",
    "roster": "services.roster.service:RosterService",
    "notify": "services.notify.service:NotifyService",
    "metrics": "services.metrics.service:MetricsService",
}
console = Console()


def service_classes() -> dict[str, type]:
    """The nameko service classes, imported on demand (they import eventlet)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # eventlet's deprecation banner, once per import
        return {
            service: getattr(importlib.import_module(module), name)
            for service, (module, _, name) in (
                (service, path.partition(":")) for service, path in SERVICES.items()
            )
        }


def consumed_queues(service: str) -> list[str]:
    """The queues a service consumes (lianxin.topology names them)."""
    return list(queues.consumed_sources(service, service_classes()[service]))


def declare_topology(amqp_uri: str) -> int:
    """Declare every consumer queue of the four services; see lianxin.topology."""
    return queues.declare(amqp_uri, service_classes())


@dataclass
class Stack:
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    mongo_uri: str = "mongodb://127.0.0.1:27017/"
    db_prefix: str = "lianxin_"
    base_port: int = 8000
    state_dir: Path = ROOT / "var"
    env: dict[str, str] = field(default_factory=dict)

    def http_port(self, service: str) -> int:
        return self.base_port + 1 + list(SERVICES).index(service)

    def metrics_port(self, service: str) -> int:
        return self.base_port + 1101 + list(SERVICES).index(service)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.http_port(service)}"

    def pid_file(self, service: str) -> Path:
        return self.state_dir / "run" / f"{service}.pid"

    def log_file(self, service: str) -> Path:
        return self.state_dir / "log" / f"{service}.log"

    def start(self, service: str, **extra_env: str) -> subprocess.Popen:
        for folder in ("run", "log"):
            (self.state_dir / folder).mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            **self.env,
            **extra_env,
            "AMQP_URI": self.amqp_uri,
            "MONGO_URI": self.mongo_uri,
            "MONGO_DB_PREFIX": self.db_prefix,
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{self.http_port(service)}",
            "METRICS_ADDRESS": f"127.0.0.1:{self.metrics_port(service)}",
            "PYTHONUNBUFFERED": "1",
        }
        command = [
            sys.executable,
            "-m",
            "nameko",
            "run",
            "--config",
            str(ROOT / "deploy" / "config" / f"{service}.yaml"),
            SERVICES[service],
        ]
        with open(self.log_file(service), "ab") as log:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file(service).write_text(str(process.pid))
        return process

    def wait_ready(self, services: list[str], timeout: float = 60.0) -> None:
        """Ready means: /healthz answers and every queue the service consumes has a consumer."""
        deadline = time.monotonic() + timeout
        for service in services:
            while not self._ready(service):
                if self.running(service) is None:
                    tail = self.log_file(service).read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"{service} exited during start:\n{tail}")
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"{service} not ready after {timeout}s; see {self.log_file(service)}"
                    )
                time.sleep(0.1)

    def _ready(self, service: str) -> bool:
        try:
            requests.get(f"{self.url(service)}/healthz", timeout=1).raise_for_status()
        except requests.RequestException:
            return False
        with Connection(self.amqp_uri) as connection:
            channel = connection.channel()
            for queue in consumed_queues(service):
                try:
                    _, _, consumers = channel.queue_declare(queue=queue, passive=True)
                except Exception:
                    return False
                if consumers == 0:
                    return False
        return True

    def running(self, service: str) -> int | None:
        try:
            pid = int(self.pid_file(service).read_text())
        except (FileNotFoundError, ValueError):
            return None
        return pid if self._alive(pid) else None

    def stop(
        self, service: str, sig: signal.Signals = signal.SIGTERM, timeout: float = 15.0
    ) -> None:
        pid = self.running(service)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, sig)
            deadline = time.monotonic() + timeout
            while self._alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if self._alive(pid):
                os.killpg(pid, signal.SIGKILL)
        self.pid_file(service).unlink(missing_ok=True)

    @staticmethod
    def _alive(pid: int) -> bool:
        try:
            waited, _ = os.waitpid(pid, os.WNOHANG)
            if waited == pid:
                return False
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False


@click.group()
def cli() -> None:
    """Run the Lianxin services locally."""


@cli.command()
@click.option("--amqp-uri", envvar="AMQP_URI", default=Stack.amqp_uri, show_default=True)
def topology(amqp_uri: str) -> None:
    """Declare every consumer queue (a deploy step; safe to repeat)."""
    console.print(f"declared {declare_topology(amqp_uri)} queues")


@cli.command()
def up() -> None:
    """Start the webhook sink and the four services (skips what runs), and wait for them."""
    stack = Stack()
    declare_topology(stack.amqp_uri)
    if not _sink_running(stack):
        _start_sink(stack)
    for service in SERVICES:
        if stack.running(service):
            console.print(f"[dim]{service} already running[/]")
            continue
        stack.start(service)
        console.print(
            f"started [bold]{service}[/] on :{stack.http_port(service)}, "
            f"metrics on :{stack.metrics_port(service)}"
        )
    stack.wait_ready(list(SERVICES))
    console.print("[green]all four services are ready[/] (logs in var/log/, `make stop` stops)")


@cli.command()
def down() -> None:
    """Stop the services and the webhook sink."""
    stack = Stack()
    for service in [*SERVICES, "webhook-sink"]:
        if stack.running(service):
            stack.stop(service)
            console.print(f"stopped {service}")


SINK_PORT = 8099


def _sink_running(stack: Stack) -> bool:
    return stack.running("webhook-sink") is not None


def _start_sink(stack: Stack) -> None:
    (stack.state_dir / "log").mkdir(parents=True, exist_ok=True)
    (stack.state_dir / "run").mkdir(parents=True, exist_ok=True)
    with open(stack.log_file("webhook-sink"), "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "scripts.webhook_sink", "--port", str(SINK_PORT)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack.pid_file("webhook-sink").write_text(str(process.pid))
    console.print(f"started webhook sink on :{SINK_PORT}")


if __name__ == "__main__":
    cli()
