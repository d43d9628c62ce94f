"""An isolated place to run in, like the end-to-end tests: a RabbitMQ vhost and a
database prefix of the run's own, free ports, and the processes started in them.
"""

from __future__ import annotations

import contextlib
import csv
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml
from kombu import Connection
from pymongo import MongoClient

from lianxin.access.actors import ROLES
from scripts.bench import chain
from scripts.broker_users import BrokerUsers
from scripts.stack import ROOT, SERVICES, Stack, consumed_queues


@dataclass
class Isolation:
    run_id: str
    host_amqp_uri: str
    mongo_uri: str
    label: str = "bench"  # what runs there: the bench, the simulator (scripts/simulate)
    broker_users: BrokerUsers = field(init=False)  # the services' users, the run's own

    def __post_init__(self) -> None:
        self.broker_users = BrokerUsers.fresh(f"lianxin-{self.label}{self.run_id}-", SERVICES)

    @property
    def vhost(self) -> str:
        return f"lianxin-{self.label}-{self.run_id}"

    @property
    def amqp_uri(self) -> str:
        return self.host_amqp_uri.rstrip("/") + "/" + self.vhost

    @property
    def db_prefix(self) -> str:
        return f"{self.label}{self.run_id}_"

    def create(self) -> None:
        try:
            with Connection(self.host_amqp_uri, connect_timeout=5) as connection:
                connection.ensure_connection(max_retries=1)
        except Exception as exc:
            raise SystemExit(
                f"RabbitMQ is not reachable at {self.host_amqp_uri} ({exc}); run `make infra`"
            ) from None
        client = MongoClient(self.mongo_uri, serverSelectionTimeoutMS=5000)
        try:
            client.admin.command("ping")
        except Exception as exc:
            raise SystemExit(
                f"FerretDB/MongoDB is not reachable at {self.mongo_uri} ({exc}); run `make infra`"
            ) from None
        finally:
            client.close()
        _rabbitmqctl("add_vhost", self.vhost)
        _rabbitmqctl("set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*")
        self.broker_users.grant(self.vhost)

    def destroy(self) -> list[str]:
        """Delete the vhost and the databases, retrying a while (the broker may be in the
        middle of a restart). Returns what could not be removed."""
        left = []
        for attempt in range(10):  # about 30 s
            if attempt:
                time.sleep(3)
            try:
                _rabbitmqctl("delete_vhost", self.vhost)
                break
            except subprocess.CalledProcessError as exc:
                if b"does not exist" in (exc.stderr or b"") + (exc.stdout or b""):
                    break
            except Exception:
                pass
        else:
            left.append(f"RabbitMQ vhost {self.vhost} (rabbitmqctl delete_vhost {self.vhost})")
        self.broker_users.remove()
        client = MongoClient(self.mongo_uri, serverSelectionTimeoutMS=5000)
        try:
            for name in client.list_database_names():
                if name.startswith(self.db_prefix):
                    client.drop_database(name)
        except Exception:
            left.append(f"databases {self.db_prefix}*")
        finally:
            client.close()
        return left


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_base_port() -> int:
    """A base port whose service ports (base+1.., base+1101..) are all free.

    Drawn from 10000–18899: below the tests' ports (tests/ports.py hands out 20000–31999,
    which make test's workers may hold at any moment, bound or not yet) and below the
    kernel's ephemeral range, where any outgoing connection may take a port between this
    check and the service's bind.
    """
    for _ in range(50):
        base = random.randrange(10000, 18900 - 1104)
        offsets = [n + extra for n in range(1, len(SERVICES) + 1) for extra in (0, 1100)]
        if all(_free(base + offset) for offset in offsets):
            return base
    raise RuntimeError("no free ports")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def admin_cli(
    isolation: Isolation, args: list[str], timeout: float, env: dict | None = None
) -> subprocess.CompletedProcess:
    """`python -m scripts.admin <args>` as an operator runs it, on this run's vhost and
    databases."""
    return subprocess.run(
        [sys.executable, "-m", "scripts.admin", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={
            **os.environ,
            **(env or {}),
            "AMQP_URI": isolation.amqp_uri,
            "MONGO_URI": isolation.mongo_uri,
            "MONGO_DB_PREFIX": isolation.db_prefix,
        },
    )


def issue_api_key(
    isolation: Isolation,
    name: str,
    scopes: list[str],
    communities: list[str],
    env: dict,
    options: list[str] | None = None,
) -> tuple[str | None, str]:
    """A key issued the way operators issue the first one, `python -m scripts.admin keys
    create`, into this run's databases, with the CLI's further `options` (channels, a
    hotline). Returns (key, "") or (None, why not): the bench then runs without one, and
    a route that wants one answers 401 (counted as refused)."""
    command = ["keys", "create", "--name", name]
    command += [arg for scope in scopes for arg in ("--scope", scope)]
    command += [arg for community in communities for arg in ("--community", community)]
    command += options or []
    try:
        run = admin_cli(isolation, command, timeout=60, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, str(exc)
    lines = run.stdout.strip().splitlines()
    if run.returncode == 0 and lines and lines[-1].startswith("lx_"):
        return lines[-1].strip(), ""
    errors = (run.stderr.strip() or run.stdout.strip()).splitlines()
    return None, (errors[-1] if errors else f"exit status {run.returncode}")[:300]


def start_pipeline(
    isolation: Isolation,
    state_dir: Path,
    webhook_url: str,
    secret: str,
    log_level: str,
    communities: list[str],
    command_log: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> Stack:
    """The services, once `declare_topology` has declared every consumer queue; with
    `command_log`, each writes the shape of every command it sends there; `extra_env` adds
    settings (the console phase's SMS gateway)."""
    stack = Stack(
        amqp_uri=isolation.amqp_uri,
        broker_users=isolation.broker_users,
        mongo_uri=isolation.mongo_uri,
        db_prefix=isolation.db_prefix,
        base_port=free_base_port(),
        state_dir=state_dir,
        env=service_env(webhook_url, secret, log_level, command_log) | (extra_env or {}),
    )
    try:
        for service in SERVICES:
            stack.start(service)
        stack.wait_ready(list(SERVICES), timeout=90)
        import_sample_communities(isolation, communities)
        wait_for_areas_in_cases(isolation, communities)
    except BaseException:
        stop_pipeline(stack)
        raise
    return stack


SAMPLE_COMMUNITY = ROOT / "services" / "roster" / "data" / "jingxiang"


# Nobody accepts in the bench, so the sample's caps on open cases per person (8–12) and on
# open offers per role (3–5) would send every case after the first few up the escalation
# chain: the bench measures the pipeline, not a community's capacity, so its copy lifts them.
BENCH_CAP = 200  # the most a profile or policy may say


def import_sample_communities(isolation: Isolation, communities: list[str]) -> None:
    """The communities the workload reports in, imported as operators do it: `python -m
    scripts.admin roster import`, into this run's databases. The first is the sample
    itself; the others are copies of it under their own ids (`rename`)."""
    with tempfile.TemporaryDirectory(prefix="lianxin-bench-community-") as folder:
        for community_id in communities:
            community = uncapped_copy(SAMPLE_COMMUNITY, Path(folder) / community_id)
            if community_id != SAMPLE_COMMUNITY.name:
                rename(community, SAMPLE_COMMUNITY.name, community_id)
            _import(isolation, community)


def _import(isolation: Isolation, community: Path) -> None:
    run = admin_cli(isolation, ["roster", "import", str(community)], timeout=120)
    if run.returncode != 0:
        output = run.stdout[-2000:] + run.stderr[-2000:]
        raise RuntimeError(f"importing community {community.name} failed:\n{output}")


def rename(folder: Path, old_id: str, new_id: str) -> None:
    """The sample under another id: its areas, teams and rotas (`jingxiang…` codes) and
    its people (`p-…` ids, also where areas, crews and rotas name them) made its own."""
    for path in folder.iterdir():
        text = path.read_text(encoding="utf-8").replace(old_id, new_id)
        path.write_text(re.sub(r"\bp-", f"p-{new_id}-", text), encoding="utf-8")


def uncapped_copy(source: Path, target: Path) -> Path:
    """The sample community with every cap on open cases and open offers at BENCH_CAP."""
    shutil.copytree(source, target)
    people = target / "people.csv"
    with people.open(encoding="utf-8", newline="") as rows:
        reader = csv.DictReader(rows)
        fields, lifted = reader.fieldnames, [{**row, "max_open_cases": BENCH_CAP} for row in reader]
    with people.open("w", encoding="utf-8", newline="") as rows:
        writer = csv.DictWriter(rows, fieldnames=fields)
        writer.writeheader()
        writer.writerows(lifted)
    community = target / "community.yaml"
    text = community.read_text(encoding="utf-8")
    offers = ", ".join(f"{role}: {BENCH_CAP}" for role in ROLES)
    community.write_text(
        re.sub(
            r"^( *)max_open_cases: \d+$",
            rf"\1max_open_cases: {BENCH_CAP}\n\1max_open_offers: {{{offers}}}",
            text,
            flags=re.MULTILINE,
        ),
        encoding="utf-8",
    )
    return target


def wait_for_areas_in_cases(
    isolation: Isolation, communities: list[str], timeout: float = 300.0
) -> None:
    """cases refuses a report in a community or grid its area replica does not know: wait
    until every node the imports published (`area.changed`) has reached it."""
    with (SAMPLE_COMMUNITY / "areas.csv").open(encoding="utf-8") as rows:
        expected = sum(1 for row in csv.DictReader(rows) if row["kind"] != "subdistrict")
    client = MongoClient(isolation.mongo_uri, serverSelectionTimeoutMS=5000)
    areas = client[f"{isolation.db_prefix}cases"]["areas"]
    deadline = time.monotonic() + timeout
    try:
        for community_id in communities:
            while True:
                stored = areas.find_one({"_id": community_id}) or {}
                known = len(stored.get("nodes", []))
                if known >= expected:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"cases knows {known} of the {expected} areas imported for {community_id}"
                    )
                time.sleep(0.2)
    finally:
        client.close()


TOKEN_SECRET = secrets.token_urlsafe(24)  # signs person tokens, where the services have them


def service_env(
    webhook_url: str, secret: str, log_level: str, command_log: Path | None = None
) -> dict[str, str]:
    """Production-like: real secrets, no dev mode; only the webhook goes to the bench (the
    one loopback address notify may send to). Each setting is given under the variable(s)
    deploy/config/*.yaml read it from."""
    env = {"LOG_LEVEL": log_level}
    for setting, value in (
        ("NOTIFY_WEBHOOK_URL", webhook_url),
        ("NOTIFY_EGRESS_ALLOW", webhook_url.split("/")[2]),
        ("NOTIFY_SIGNING_SECRET", secret),
        ("TOKEN_SECRET", TOKEN_SECRET),
        ("QUERY_LOG", str(command_log or "")),
    ):
        env |= dict.fromkeys(config_variables(setting), value)
    return env


def config_variables(setting: str) -> set[str]:
    """The environment variables the services' configs take `setting` from
    (`TOKEN_SECRET: ${LIANXIN_TOKEN_SECRET:}` → LIANXIN_TOKEN_SECRET), and its own name."""
    pattern = re.compile(rf"^{setting}:\s*\$\{{(\w+):", re.MULTILINE)
    found = {setting}
    for path in (ROOT / "deploy" / "config").glob("*.yaml"):
        found |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return found


def stop_pipeline(stack: Stack) -> None:
    """Stop the four at once (each takes a couple of seconds to stop gracefully)."""

    def stop(service: str) -> None:
        with contextlib.suppress(Exception):
            stack.stop(service)

    with ThreadPoolExecutor(max_workers=len(SERVICES)) as pool:
        list(pool.map(stop, SERVICES))


def pipeline_queues() -> list[str]:
    return [queue for service in SERVICES for queue in consumed_queues(service)]


class BareChain:
    """The two bare nameko services of scripts.bench.chain, each its own process."""

    def __init__(self, amqp_uri: str, state_dir: Path, log_level: str):
        self.amqp_uri = amqp_uri
        self.state_dir = state_dir
        self.port = free_port()
        self.log_level = log_level
        self.processes: dict[str, subprocess.Popen] = {}

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        for service, cls in ((chain.INTAKE, "BareIntake"), (chain.ROSTER, "BareRoster")):
            config = self.state_dir / f"{service}.yaml"
            config.write_text(
                yaml.safe_dump(
                    {
                        "AMQP_URI": self.amqp_uri,
                        "WEB_SERVER_ADDRESS": f"127.0.0.1:{self.port}"
                        if service == chain.INTAKE
                        else f"127.0.0.1:{free_port()}",
                        "max_workers": 10,  # as deploy/config/<service>.yaml
                        "LOGGING": {
                            "version": 1,
                            "disable_existing_loggers": False,
                            "handlers": {"console": {"class": "logging.StreamHandler"}},
                            "root": {"level": self.log_level, "handlers": ["console"]},
                        },
                    }
                )
            )
            with open(self.state_dir / f"{service}.log", "ab") as log:
                self.processes[service] = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "nameko",
                        "run",
                        "--config",
                        str(config),
                        f"scripts.bench.chain:{cls}",
                    ],
                    cwd=ROOT,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        self._wait_ready(timeout)

    def pids(self, service: str) -> list[int]:
        process = self.processes.get(service)
        return [process.pid] if process is not None and process.poll() is None else []

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self._ready():
            for service, process in self.processes.items():
                if process.poll() is not None:
                    tail = (self.state_dir / f"{service}.log").read_text(errors="replace")
                    raise RuntimeError(f"bare {service} exited during start:\n{tail[-2000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"bare chain not ready after {timeout}s; see {self.state_dir}")
            time.sleep(0.1)

    def _ready(self) -> bool:
        try:
            requests.get(f"{self.url()}/healthz", timeout=1).raise_for_status()
        except requests.RequestException:
            return False
        with Connection(self.amqp_uri) as connection:
            for queue in chain.QUEUES:
                channel = connection.channel()
                try:
                    _, _, consumers = channel.queue_declare(queue=queue, passive=True)
                except Exception:
                    return False
                if consumers == 0:
                    return False
        return True

    def stop(self) -> None:
        """SIGTERM now; `wait()` for them to be gone (a graceful stop takes a second or two,
        which the next phase's start need not wait for)."""
        for process in self.processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)

    def wait(self) -> None:
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
