"""Run the services (and a dev webhook sink) under supervisord, and wait until they are ready.

Used by `make up` / `make run` / `make stop`, and by the end-to-end tests, which
give each run its own state directory, ports, RabbitMQ vhost and database prefix.

Broker users: each service connects as its own RabbitMQ user (scripts/broker_users.py),
for `make up` the ones deploy/local/infra.sh made; `amqp_uri` is the administrator's,
which declares the topology and watches the queues.

One supervisord runs per state directory (`var/` for `make up`, a temporary
directory per test session), started when first needed. Its config is generated
into `<state_dir>/run/supervisord.conf`: one program per service replica
(`cases-0`, `cases-1`, ...) and one for the webhook sink. A program's environment
is written to `<state_dir>/run/<program>.env` each time it is started, so a test
can start one replica with extra variables (a fault point) without touching the
config. Logs go to `<state_dir>/log/<program>.log`, supervisord's own to
`<state_dir>/log/supervisord.log`; `supervisorctl -c <state_dir>/run/supervisord.conf`
works as usual.

Ports: replica r of the i-th service (cases, roster, notify, metrics, console, estate)
serves HTTP on base_port + 1 + i + 10·r and Prometheus metrics on base_port + 1101 + i +
10·r, so 8001–8006 / 9101–9106 for replica 0 and 8011–8016 / 9111–9116 for replica 1.

The console starts last: it acts through the others' APIs with a key of its own, which
`up` makes with the admin CLI once cases runs (cases' relay publishes it to the others)
and keeps, with the console's secret, in `<state_dir>/run/console.env` (its owner alone
reads it) for the next start, as long as cases still knows the key.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import time
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path
from xmlrpc.client import Fault, ProtocolError, ServerProxy

import click
import requests
from kombu import Connection
from pymongo import MongoClient
from rich.console import Console
from supervisor.xmlrpc import Faults, SupervisorTransport

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # eventlet's deprecation banner: lianxin.bus imports it
    from lianxin.bus import topology as queues

from scripts.broker_users import BrokerUsers

ROOT = Path(__file__).resolve().parent.parent
SERVICES = {
    "cases": "services.cases.service:CasesService",
    "roster": "services.roster.service:RosterService",
    "notify": "services.notify.service:NotifyService",
    "metrics": "services.metrics.service:MetricsService",
    "console": "services.console.service:ConsoleService",
    "estate": "services.estate.service:EstateService",
}
CONSOLE = "console"
# what the console's key holds: it reads and acts only as the signed-in person (their token
# narrows it to their community), mints their tokens, and has notify send sign-in codes; it
# reports only what a carer's round found (邻里守望: a round that needs help opens a case,
# through the door-knocking channel)
CONSOLE_KEY_SCOPES = ("read", "act", "tokens", "sign_in", "report")
CONSOLE_KEY_CHANNELS = ("door_knocking",)
# what the residents' public pages act with (CONSOLE_RESIDENTS_KEY): reporting through the
# scan channel, having notify text a verification code, and reading or acting for the
# household of a number it proved (`resident`: estate's fund statement, the property
# company's ballot), nothing more
RESIDENTS_KEY_SCOPES = ("report", "verify", "resident")
RESIDENTS_KEY_CHANNELS = ("scan",)
SINK = "webhook-sink"
SINK_PORT = 8099
MAX_REPLICAS = 9  # replica ports step by 10: replica 9 of estate is base+96, below the sink
REPLICA_PORT_STEP = 10
console = Console()

# supervisord's process states, as this module reads them
STARTED = frozenset({"STARTING", "RUNNING", "BACKOFF"})  # BACKOFF: supervisord retries it
DOWN = frozenset({"STOPPED", "EXITED", "FATAL", "UNKNOWN"})
UNREACHABLE = (OSError, HTTPException, ProtocolError)  # no supervisord answering
RPC_INTERFACE = "supervisor.rpcinterface:make_main_rpcinterface"


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
    """The queues a service consumes (lianxin.bus.topology names them)."""
    return list(queues.consumed_sources(service, service_classes()[service]))


def declare_topology(amqp_uri: str) -> int:
    """Declare every consumer queue of the services; see lianxin.bus.topology."""
    return queues.declare(amqp_uri, service_classes())


@dataclass
class Stack:
    """The programs of one state directory, run by that directory's supervisord.

    `replicas`: one count for every service, or a count per service (default 1).
    `autorestart`: supervisord starts a program again when it dies; the tests turn
    it off, so that a process a test kills stays dead until the test starts it.
    `sink_port`: run the dev webhook sink there (None: no sink program).
    `broker_users`: the users the services connect as, on `amqp_uri`'s host and vhost
    (default: the local development users, var/broker-passwords.env).
    """

    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"  # the administrator
    mongo_uri: str = "mongodb://127.0.0.1:27017/"
    db_prefix: str = "lianxin_"
    base_port: int = 8000
    state_dir: Path = ROOT / "var"
    env: dict[str, str] = field(default_factory=dict)
    replicas: int | dict[str, int] = 1
    autorestart: bool = True
    sink_port: int | None = SINK_PORT
    broker_users: BrokerUsers | None = None

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir).resolve()
        for service in SERVICES:
            if not 1 <= self.replica_count(service) <= MAX_REPLICAS:
                raise ValueError(f"{service}: between 1 and {MAX_REPLICAS} replicas")
        if len(str(self._socket)) > 100:  # AF_UNIX paths end at 108 bytes
            raise ValueError(f"state_dir {self.state_dir} is too long for supervisord's socket")

    # -- names, ports, files -------------------------------------------------------------

    def replica_count(self, service: str) -> int:
        if isinstance(self.replicas, int):
            return self.replicas
        return self.replicas.get(service, 1)

    def replica_ids(self, service: str) -> range:
        return range(self.replica_count(service))

    def program(self, service: str, replica: int = 0) -> str:
        """supervisord's name for one replica: `cases-0`, ...; the sink is `webhook-sink`."""
        return service if service == SINK else f"{service}-{replica}"

    def programs(self, services: Iterable[str] | None = None) -> list[str]:
        if services is None:
            services = [*SERVICES, SINK] if self.sink_port else list(SERVICES)
        return [name for service in services for name in self._targets(service, None)]

    def http_port(self, service: str, replica: int = 0) -> int:
        return self.base_port + 1 + self._offset(service, replica)

    def metrics_port(self, service: str, replica: int = 0) -> int:
        return self.base_port + 1101 + self._offset(service, replica)

    def url(self, service: str, replica: int = 0) -> str:
        return f"http://127.0.0.1:{self.http_port(service, replica)}"

    def ports(self) -> list[int]:
        """Every port the stack's programs listen on."""
        found = [
            port(service, replica)
            for service in SERVICES
            for replica in self.replica_ids(service)
            for port in (self.http_port, self.metrics_port)
        ]
        return [*found, self.sink_port] if self.sink_port else found

    def log_file(self, service: str, replica: int = 0) -> Path:
        return self._log(self.program(service, replica))

    def _offset(self, service: str, replica: int) -> int:
        return list(SERVICES).index(service) + REPLICA_PORT_STEP * replica

    def _targets(self, service: str, replica: int | None) -> list[str]:
        if service == SINK:
            return [SINK]
        if service not in SERVICES:
            raise KeyError(f"no service {service!r}; one of {', '.join(SERVICES)}")
        chosen = self.replica_ids(service) if replica is None else [replica]
        return [self.program(service, index) for index in chosen]

    @staticmethod
    def _parse(program: str) -> tuple[str, int]:
        if program == SINK:
            return SINK, 0
        service, _, replica = program.rpartition("-")
        return service, int(replica)

    @property
    def _config(self) -> Path:
        return self.state_dir / "run" / "supervisord.conf"

    @property
    def _socket(self) -> Path:
        return self.state_dir / "run" / "supervisord.sock"

    def _env_file(self, program: str) -> Path:
        return self.state_dir / "run" / f"{program}.env"

    def _log(self, program: str) -> Path:
        return self.state_dir / "log" / f"{program}.log"

    # -- what `make up` and `make stop` do -----------------------------------------------

    def up(self, timeout: float = 240.0) -> dict[str, str]:
        """Make sure supervisord runs with this stack's config, declare the queues, start
        every program that is not started and wait until all are ready. A program that
        turns out dead while waiting (killed, and not yet reaped by supervisord when it
        was looked at) is started again. Returns, per program, "started" or its state."""
        self._retire_pid_files()
        rpc = self._supervisord()
        declare_topology(self.amqp_uri)
        done = {}
        programs = self.programs()
        others = [program for program in programs if self._parse(program)[0] != CONSOLE]
        for wave in (others, [program for program in programs if program not in others]):
            for program in wave:  # the console's wave after the others are ready (its key)
                state = rpc.getProcessInfo(program)["statename"]
                if state in STARTED:
                    done[program] = state.lower()
                else:
                    self._start(rpc, program, {})
                    done[program] = "started"
            self._await(wave, timeout, restarts=2)
        return done

    def down(self, timeout: float = 60.0) -> list[str]:
        """Stop every program, then supervisord. Returns the programs that had a process."""
        self._retire_pid_files()
        try:
            rpc = self._rpc()
            had = [info["name"] for info in rpc.getAllProcessInfo() if info["pid"]]
            rpc.stopAllProcesses(True)  # each gets SIGTERM, and SIGKILL after stopwaitsecs
        except (*UNREACHABLE, Fault):
            had = []
        self._shutdown(timeout)
        return had

    # -- one service at a time (the tests) -------------------------------------------------

    def start(self, service: str, replica: int | None = None, **extra_env: str) -> list[int]:
        """Start the service's replicas (every one, or `replica`) that are not started, with
        the stack's environment plus `extra_env`; started ones are left as they are.
        Returns their pids; see wait_ready for when they are ready."""
        rpc = self._supervisord()
        return [self._start(rpc, program, extra_env) for program in self._targets(service, replica)]

    def stop(
        self,
        service: str,
        sig: signal.Signals = signal.SIGTERM,
        timeout: float = 15.0,
        replica: int | None = None,
    ) -> None:
        """Stop the service's replicas (every one, or `replica`) and wait until they are gone.
        SIGTERM is a graceful stop; any other signal is sent as is, like a crash (with
        autorestart on, supervisord then starts the program again). Once no program has
        a process, supervisord exits too, so stopping every service leaves nothing behind."""
        try:
            rpc = self._rpc()
            rpc.getState()
        except (*UNREACHABLE, Fault):
            return
        victims = {}
        for program in self._targets(service, replica):
            info = rpc.getProcessInfo(program)
            with contextlib.suppress(Fault):  # NOT_RUNNING: it ended meanwhile
                if info["statename"] == "BACKOFF" or (info["pid"] and sig == signal.SIGTERM):
                    rpc.stopProcess(program, False)
                elif info["pid"]:
                    rpc.signalProcess(program, signal.Signals(sig).name)
            if info["pid"]:
                victims[program] = info["pid"]
        if not self._gone(rpc, victims, timeout):
            for program in victims:
                with contextlib.suppress(Fault):
                    rpc.signalProcess(program, "KILL")
            if not self._gone(rpc, victims, 10.0):
                raise TimeoutError(f"{', '.join(victims)} still running after SIGKILL")
        if not any(info["pid"] for info in rpc.getAllProcessInfo()):
            self._shutdown(30.0)

    def running(self, service: str, replica: int = 0) -> int | None:
        """The pid of the replica's process while supervisord has one, else None."""
        try:
            return self._rpc().getProcessInfo(self.program(service, replica))["pid"] or None
        except (*UNREACHABLE, Fault):
            return None

    def wait_ready(self, services: list[str], timeout: float = 60.0) -> None:
        """Ready means: supervisord has the replica RUNNING, its /healthz answers, and every
        queue the service consumes has a consumer for each of its replicas. Replicas left
        stopped (never started, or stopped on purpose) are not waited for."""
        try:
            infos = {info["name"]: info for info in self._rpc().getAllProcessInfo()}
        except (*UNREACHABLE, Fault) as exc:
            raise RuntimeError(f"supervisord is not running for {self.state_dir}") from exc
        for service in services:
            if all(infos[p]["statename"] == "STOPPED" for p in self._targets(service, None)):
                raise RuntimeError(f"{service} is not running")
        self._await(
            [p for p in self.programs(services) if infos[p]["statename"] != "STOPPED"], timeout
        )

    # -- supervisord -----------------------------------------------------------------------

    def _rpc(self):
        transport = _Transport(None, None, f"unix://{self._socket}")
        return ServerProxy("http://127.0.0.1", transport=transport).supervisor

    def _supervisord(self):
        """supervisord for this state directory, running with the current config."""
        for folder in ("run", "log"):
            (self.state_dir / folder).mkdir(parents=True, exist_ok=True)
        _write(self._config, self.supervisord_config())
        rpc = self._rpc()
        try:
            rpc.getState()
        except Fault:  # shutting down: let it finish, then start afresh
            self._shutdown(60.0)
        except UNREACHABLE:
            pass
        else:
            self._apply_config(rpc)
            return rpc
        launched = subprocess.run(  # daemonizes: returns once the socket is listening
            [sys.executable, "-m", "supervisor.supervisord", "-c", str(self._config)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        # a failed launch may still mean one launched alongside (another `make up`) is coming
        deadline = time.monotonic() + (15 if launched.returncode == 0 else 2)
        while True:
            try:
                rpc.getState()
                return rpc
            except (*UNREACHABLE, Fault):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"supervisord did not start ({launched.stderr.strip()}):\n"
                        + _tail(self._log("supervisord"))
                    ) from None
                time.sleep(0.05)

    def _apply_config(self, rpc) -> None:
        """What `supervisorctl update` does: add new programs, replace changed ones, drop
        the ones no longer configured (e.g. replicas after a smaller `--replicas`)."""
        added, changed, removed = rpc.reloadConfig()[0]
        for name in [*changed, *removed]:
            with contextlib.suppress(Fault):
                rpc.stopProcessGroup(name, True)
            rpc.removeProcessGroup(name)
        for name in [*changed, *added]:
            rpc.addProcessGroup(name)

    def _shutdown(self, timeout: float) -> None:
        """Have supervisord stop its programs and exit; wait until its process is gone."""
        try:
            pid = self._rpc().getPID()
        except (*UNREACHABLE, Fault):
            pid = None  # not running, or already shutting down (its socket still answers)
        with contextlib.suppress(*UNREACHABLE, Fault):
            self._rpc().shutdown()
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._rpc().getPID()  # answers until supervisord closes its socket, at the end
            except UNREACHABLE:
                if pid is None or not _alive(pid):
                    return
            except Fault:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"supervisord of {self.state_dir} still running")
            time.sleep(0.05)

    def supervisord_config(self) -> str:
        run, log = self.state_dir / "run", self.state_dir / "log"
        sections = [
            ("unix_http_server", {"file": self._socket, "chmod": "0700"}),
            (
                "supervisord",
                {
                    "logfile": log / "supervisord.log",
                    "logfile_maxbytes": "5MB",
                    "logfile_backups": 2,
                    "pidfile": run / "supervisord.pid",
                    "childlogdir": log,
                    "directory": ROOT,
                },
            ),
            (
                "rpcinterface:supervisor",
                {"supervisor.rpcinterface_factory": RPC_INTERFACE},
            ),
            ("supervisorctl", {"serverurl": f"unix://{self._socket}"}),
        ]
        for program in self.programs():
            sections.append((f"program:{program}", self._program_options(program)))
        text = "\n\n".join(_ini(name, options) for name, options in sections)
        return f"; generated by scripts/stack.py; edits are overwritten\n\n{text}\n"

    def _program_options(self, program: str) -> dict[str, object]:
        service, _ = self._parse(program)
        if service == SINK:
            argv = [sys.executable, "-m", "scripts.webhook_sink", "--port", str(self.sink_port)]
        else:
            config = ROOT / "deploy" / "config" / f"{service}.yaml"
            argv = [sys.executable, "-m", "nameko", "run", "--config", str(config)]
            argv.append(SERVICES[service])
        # the shell reads the environment written at the last start, then becomes the program
        env_file = shlex.quote(str(self._env_file(program)))
        script = f"set -a && . {env_file} && exec {shlex.join(argv)}"
        return {
            "command": shlex.join(["/bin/sh", "-c", script]),
            "directory": ROOT,
            "autostart": "false",  # started by up() / start(), each with its environment
            "autorestart": "true" if self.autorestart else "false",
            "startsecs": 1,
            "startretries": 3,
            "stopwaitsecs": 15,
            "stopasgroup": "true",
            "killasgroup": "true",
            "redirect_stderr": "true",
            "stdout_logfile": self._log(program),
            "stdout_logfile_maxbytes": "20MB",
            "stdout_logfile_backups": 2,
        }

    # -- programs --------------------------------------------------------------------------

    def _environment(self, program: str, extra: dict[str, str]) -> dict[str, str]:
        service, replica = self._parse(program)
        # a local stack is a development stack: default secrets allowed unless said otherwise
        dev_mode = {"LIANXIN_DEV_MODE": os.environ.get("LIANXIN_DEV_MODE", "true")}
        console = self.console_environment() if service == CONSOLE else {}
        # notify names the console's page of a case in group messages
        console_page = {"NOTIFY_CONSOLE_URL": self.url(CONSOLE)} if service == "notify" else {}
        env = {**dev_mode, **console, **console_page, **self.env, **extra, "PYTHONUNBUFFERED": "1"}
        if service != SINK:
            users = self.broker_users or BrokerUsers.from_file(SERVICES)
            env |= {
                "AMQP_URI": users.uri(self.amqp_uri, service),
                "BROKER_USER_PREFIX": users.prefix,
                "MONGO_URI": self.mongo_uri,
                "MONGO_DB_PREFIX": self.db_prefix,
                "WEB_SERVER_ADDRESS": f"127.0.0.1:{self.http_port(service, replica)}",
                "METRICS_ADDRESS": f"127.0.0.1:{self.metrics_port(service, replica)}",
            }
        return env

    def console_environment(self) -> dict[str, str]:
        """The console's keys and secret (made once, kept in run/console.env) and where the
        services it acts through answer."""
        kept = self.state_dir / "run" / "console.env"
        found = _read_env(kept)
        made = {
            "CONSOLE_API_KEY": found.get("CONSOLE_API_KEY", ""),
            "CONSOLE_RESIDENTS_KEY": found.get("CONSOLE_RESIDENTS_KEY", ""),
            "CONSOLE_SECRET": found.get("CONSOLE_SECRET") or secrets.token_urlsafe(24),
        }
        if not self._key_stands(made["CONSOLE_API_KEY"], CONSOLE_KEY_SCOPES, CONSOLE_KEY_CHANNELS):
            made["CONSOLE_API_KEY"] = self._make_key(
                "console", CONSOLE_KEY_SCOPES, CONSOLE_KEY_CHANNELS
            )
        if not self._key_stands(
            made["CONSOLE_RESIDENTS_KEY"], RESIDENTS_KEY_SCOPES, RESIDENTS_KEY_CHANNELS
        ):
            made["CONSOLE_RESIDENTS_KEY"] = self._make_key(
                "console-residents", RESIDENTS_KEY_SCOPES, RESIDENTS_KEY_CHANNELS
            )
        if made != found:
            descriptor = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:  # its owner alone reads it
                out.write(_env_text("the console's keys and secret", made))
        return {
            **made,
            "CONSOLE_PUBLIC_URL": self.url(CONSOLE),
            **{f"CONSOLE_{s.upper()}_URL": self.url(s) for s in SERVICES if s != CONSOLE},
        }

    def _key_stands(self, key: str, scopes: Iterable[str], channels: Iterable[str]) -> bool:
        """Whether cases (whose database may have been wiped since) still knows the key,
        with all it must hold (a key made before the console needed more is made again)."""
        parts = key.split("_")
        if len(parts) != 3:
            return False
        with MongoClient(self.mongo_uri, serverSelectionTimeoutMS=5000) as client:
            record = client[f"{self.db_prefix}cases"]["api_keys"].find_one({"_id": parts[1]})
        return (
            record is not None
            and record.get("revoked_at") is None
            and set(scopes) <= set(record.get("scopes") or ())
            and set(channels) <= set(record.get("channels") or ())
        )

    def _make_key(self, name: str, scopes: Iterable[str], channels: Iterable[str] = ()) -> str:
        """One of the console's keys (every community), made with the admin CLI as an
        operator makes a key; it returns once cases' relay has published it. Cases must be
        running."""
        grants = [arg for scope in scopes for arg in ("--scope", scope)]
        grants += [arg for channel in channels for arg in ("--channel", channel)]
        made = subprocess.run(
            [sys.executable, "-W", "ignore", "-m", "scripts.admin", "keys", "create",
             "--name", name, "--community", "*", *grants],
            cwd=ROOT,
            env={**os.environ, **self.env, "AMQP_URI": self.amqp_uri,
                 "MONGO_URI": self.mongo_uri, "MONGO_DB_PREFIX": self.db_prefix},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )  # fmt: skip
        if made.returncode != 0:
            raise RuntimeError(f"the console's {name} key was not made:\n{made.stderr[-2000:]}")
        return made.stdout.strip().splitlines()[-1]

    def _start(self, rpc, program: str, extra_env: dict[str, str]) -> int:
        deadline = time.monotonic() + 30
        while (info := rpc.getProcessInfo(program))["statename"] == "STOPPING":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{program} is still stopping")
            time.sleep(0.05)
        if info["statename"] not in STARTED:
            env = self._environment(program, extra_env)
            _write(self._env_file(program), _env_text(program, env))
            try:
                rpc.startProcess(program, False)
            except Fault as fault:
                if fault.faultCode != Faults.ALREADY_STARTED:
                    raise
        return rpc.getProcessInfo(program)["pid"]

    def _gone(self, rpc, victims: dict[str, int], timeout: float) -> bool:
        """Wait until supervisord has reaped each process (its pid is no longer the program's)."""
        deadline = time.monotonic() + timeout
        while any(rpc.getProcessInfo(name)["pid"] == pid for name, pid in victims.items()):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _await(self, programs: list[str], timeout: float, restarts: int = 0) -> None:
        deadline = time.monotonic() + timeout
        rpc = self._rpc()
        budget = dict.fromkeys(programs, restarts)
        answering: set[str] = set()
        while True:
            infos = {info["name"]: info for info in rpc.getAllProcessInfo()}
            for program in programs:
                state = infos[program]["statename"]
                if state == "EXITED" and budget[program] > 0:  # died since it was looked at
                    budget[program] -= 1
                    answering.discard(program)
                    self._start(rpc, program, {})
                elif state in DOWN:
                    raise RuntimeError(
                        f"{program} {state.lower()} during start "
                        f"({infos[program]['description']}):\n{_tail(self._log(program))}"
                    )
                elif program not in answering and state == "RUNNING" and self._answers(program):
                    answering.add(program)
            if len(answering) == len(programs) and self._consuming(programs):
                return
            if time.monotonic() > deadline:
                waiting = sorted(set(programs) - answering) or ["their queue consumers"]
                raise TimeoutError(
                    f"{', '.join(waiting)} not ready after {timeout}s; see {self.state_dir / 'log'}"
                )
            time.sleep(0.1)

    def _answers(self, program: str) -> bool:
        service, replica = self._parse(program)
        if service == SINK:
            url = f"http://127.0.0.1:{self.sink_port}/hooks"
        else:
            url = f"{self.url(service, replica)}/healthz"
        try:
            requests.get(url, timeout=1).raise_for_status()
        except requests.RequestException:
            return False
        return True

    def _consuming(self, programs: list[str]) -> bool:
        """Every queue each service consumes has at least one consumer per replica awaited."""
        replicas = Counter(service for service, _ in map(self._parse, programs) if service != SINK)
        if not replicas:
            return True
        with Connection(self.amqp_uri) as connection:
            channel = connection.channel()
            for service, count in replicas.items():
                for queue in consumed_queues(service):
                    try:
                        _, _, consumers = channel.queue_declare(queue=queue, passive=True)
                    except Exception:
                        return False
                    if consumers < count:
                        return False
        return True

    def _retire_pid_files(self) -> None:
        """Stop what the launcher before supervisord left running (it kept pid files in
        run/), so that `make stop` / `make up` take over a stack started the old way."""
        for name in [*SERVICES, SINK]:
            pid_file = self.state_dir / "run" / f"{name}.pid"
            with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
                pid = int(pid_file.read_text())
                if re.search(rb"nameko|webhook_sink", Path(f"/proc/{pid}/cmdline").read_bytes()):
                    os.killpg(pid, signal.SIGTERM)
                    deadline = time.monotonic() + 15
                    while _alive(pid) and time.monotonic() < deadline:
                        time.sleep(0.05)
                    if _alive(pid):
                        os.killpg(pid, signal.SIGKILL)
            pid_file.unlink(missing_ok=True)

    def status(self) -> list[dict]:
        """supervisord's view of the programs (name, statename, pid, description, ...)."""
        try:
            return self._rpc().getAllProcessInfo()
        except (*UNREACHABLE, Fault):
            return []


class _Transport(SupervisorTransport):
    """supervisorctl's transport (HTTP over the unix socket), made to connect afresh after
    a failed request instead of keeping a connection in a broken state."""

    def request(self, *args, **kwargs):
        try:
            return super().request(*args, **kwargs)
        except Exception:
            self.close()
            raise


def _ini(section: str, options: dict[str, object]) -> str:
    lines = [f"[{section}]"]
    for key, value in options.items():
        text = str(value).replace("%", "%%")  # supervisord expands %(name)s in values
        if re.search(r"\s[;#]|\n", text):  # would end the value (an inline comment)
            raise ValueError(f"{section}.{key}: cannot be written to supervisord's config: {text}")
        lines.append(f"{key}={text}")
    return "\n".join(lines)


def _env_text(program: str, env: dict[str, str]) -> str:
    lines = [f"# {program}: the environment of its last start, written by scripts/stack.py"]
    for key, value in env.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ValueError(f"not an environment variable name: {key!r}")
        lines.append(f"{key}={shlex.quote(str(value))}")
    return "\n".join(lines) + "\n"


def _read_env(path: Path) -> dict[str, str]:
    """What _env_text wrote (values without quotes or spaces only)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return {}
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def _write(path: Path, text: str) -> None:
    """Replace the file's content, unless it already is `text`."""
    with contextlib.suppress(FileNotFoundError):
        if path.read_text() == text:
            return
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(text)
    partial.replace(path)


def _tail(path: Path, size: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except FileNotFoundError:
        return f"(no {path})"


def _alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie (Linux /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def development_gateways(sink_port: int) -> dict[str, str]:
    """The local stack sends SMS to the webhook sink, which keeps what a phone would show
    (GET /messages), so volunteers' and residents' messages can be read without a real
    gateway; NOTIFY_SMS_URL and NOTIFY_SMS_API_KEY in the environment win. The sink is the
    one loopback address notify may send to (NOTIFY_EGRESS_ALLOW, lianxin/egress.py)."""
    return {
        "NOTIFY_SMS_URL": os.environ.get("NOTIFY_SMS_URL", f"http://127.0.0.1:{sink_port}/sms"),
        "NOTIFY_SMS_API_KEY": os.environ.get("NOTIFY_SMS_API_KEY", "development-sms-gateway"),
        "NOTIFY_EGRESS_ALLOW": os.environ.get("NOTIFY_EGRESS_ALLOW", f"127.0.0.1:{sink_port}"),
    }


@click.group()
def cli() -> None:
    """Run the Lianxin services locally, under supervisord (state in var/)."""


@cli.command()
@click.option("--amqp-uri", envvar="AMQP_URI", default=Stack.amqp_uri, show_default=True)
def topology(amqp_uri: str) -> None:
    """Declare every consumer queue (a deploy step; safe to repeat)."""
    console.print(f"declared {declare_topology(amqp_uri)} queues")


@cli.command()
@click.option(
    "--replicas",
    type=click.IntRange(1, MAX_REPLICAS),
    default=1,
    show_default=True,
    help="Processes per service, competing on the same queues (replica r on ports +10·r).",
)
def up(replicas: int) -> None:
    """Start supervisord, the webhook sink and the services (what is not started), and wait."""
    stack = Stack(replicas=replicas, env=development_gateways(SINK_PORT))
    began = time.monotonic()
    done = stack.up()
    for program, action in done.items():
        service, replica = stack._parse(program)
        if service == SINK:
            where = f":{stack.sink_port}"
        else:
            where = f":{stack.http_port(service, replica)}, "
            where += f"metrics :{stack.metrics_port(service, replica)}"
        style = "bold" if action == "started" else "dim"
        console.print(f"[{style}]{program:<13}[/] {action:<8} {where}")
    console.print(
        f"[green]ready in {time.monotonic() - began:.1f}s[/] (logs in var/log/; `make stop` stops)"
    )


@cli.command()
def down() -> None:
    """Stop the services, the webhook sink and supervisord."""
    stopped = Stack().down()
    console.print(f"stopped {', '.join(stopped)}" if stopped else "[dim]nothing was running[/]")


@cli.command()
def status() -> None:
    """What supervisord runs, with pids and uptimes."""
    infos = Stack().status()
    for info in infos:
        console.print(f"{info['name']:<13} {info['statename']:<9} {info['description']}")
    if not infos:
        console.print("[dim]supervisord is not running (`make up` starts it)[/]")


if __name__ == "__main__":
    cli()
