"""`python -m scripts.bench`: see scripts/bench/__init__.py and `--help`."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import bson
import click
import requests
from pymongo import MongoClient
from rich.console import Console

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # eventlet's deprecation banner (nameko imports it)
    from scripts.bench import chain, cpu, harness, load, observe, report, store
    from scripts.bench import console as console_phase
    from scripts.bench.workload import CHANNELS, Workload, community_ids
    from scripts.stack import ROOT, SERVICES, declare_topology
    from services.cases.app.intake import case_id_for

SECRET = secrets.token_urlsafe(24)  # the webhook signing secret, as in production
PHASES = ("bare", "throughput", "latency", "store", "console")  # the default
OTHER_PHASES: tuple[str, ...] = ()  # beyond the default, asked for by name
# case events after which the bench stops waiting for a dispatch: tracker milestones
SETTLED_EVENTS = {
    "case.escalated": "escalated",
    "case.merged": "merged",
    "case.triage_needed": "triage_needed",
}
console = Console(stderr=True)


def say(message: str) -> None:
    console.print(f"[dim]{datetime.now():%H:%M:%S}[/] {message}")


@click.command(context_settings={"show_default": True})
@click.option("--duration", default=40.0, help="Seconds of the throughput phase.")
@click.option("--warmup", default=5.0, help="First seconds of a max-throughput phase not counted.")
@click.option("--clients", default=16, help="Sender threads of the throughput phases.")
@click.option("--max-in-flight", default=64, help="Cases sent but not yet complete, at most.")
@click.option("--rate", default=20.0, help="Offered cases/s of the latency phase (open loop).")
@click.option("--latency-duration", default=30.0, help="Seconds of the latency phase.")
@click.option("--bare-duration", default=20.0, help="Seconds of the bare chain's phase.")
@click.option("--resolve", is_flag=True, help="Volunteers also accept and resolve every case.")
@click.option(
    "--communities",
    default=4,
    help="Copies of the sample community the reports spread over (1: the sample alone).",
)
@click.option("--store-sizes", default="1000,100000", help="Collection sizes for by-_id cost.")
@click.option("--store-samples", default=300, help="Random ids timed per operation and size.")
@click.option(
    "--phases",
    default=",".join(PHASES),
    help=f"Which phases to run, of {', '.join(PHASES + OTHER_PHASES)}.",
)
@click.option("--console-cases", default=20_000, help="Cases on the console phase's board.")
@click.option("--console-samples", default=100, help="Requests timed per console page.")
@click.option("--photos-stored", default=10_000, help="Photos stored when reads are timed.")
@click.option("--photo-samples", default=30, help="3 MB uploads timed, and reads of each size.")
@click.option("--smoke", is_flag=True, help="Seconds-long run of every phase (for the tests).")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="The JSON result file [default: var/bench/result-<timestamp>.json].",
)
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path),
    help="Logs of the processes [default: var/bench/run-<id>, removed after a good run].",
)
@click.option("--log-level", default="WARNING", help="LOG_LEVEL of the services.")
@click.option(
    "--command-log",
    is_flag=True,
    help="Count each service's database commands per case, by collection (costs some CPU).",
)
@click.option("--seed", default=12345, help="Seed of the report stream.")
@click.option(
    "--ferretdb-metrics-url",
    default="http://127.0.0.1:8088/debug/metrics",
    help="FerretDB's debug metrics (commands per case); empty to skip.",
)
@click.option("--amqp-uri", envvar="BENCH_AMQP_URI", default="amqp://guest:guest@127.0.0.1:5672/")
@click.option("--mongo-uri", envvar="BENCH_MONGO_URI", default="mongodb://127.0.0.1:27017/")
def main(**options: Any) -> None:
    """Drive the pipeline like a hotline integration and print what it sustains."""
    # SIGTERM unwinds like Ctrl-C: the processes, the vhost and the databases are cleaned up
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    params = _parameters(options)
    run_id = uuid.uuid4().hex[:8]
    started = datetime.now(UTC)
    state_dir = options["state_dir"] or ROOT / "var" / "bench" / f"run-{run_id}"
    output = options["output"] or ROOT / "var" / "bench" / f"result-{started:%Y%m%dT%H%M%SZ}.json"
    isolation = harness.Isolation(run_id, options["amqp_uri"], options["mongo_uri"])
    result: dict[str, Any] = {
        "version": 1,
        "run_id": run_id,
        "started_at": started.isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "machine": {
            "cores": os.cpu_count(),
            "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
            "python": sys.version.split()[0],
        },
        "parameters": params,
        "hops": {"pipeline": chain.PIPELINE_HOPS, "bare_chain": chain.HOPS},
    }
    say(f"run {run_id}: vhost {isolation.vhost}, database prefix {isolation.db_prefix}")
    isolation.create()
    ok = False
    try:
        with contextlib.ExitStack() as stopping:
            if "bare" in params["phases"]:
                result["bare_chain"] = run_bare_chain(
                    isolation, state_dir / "bare", params, stopping
                )
            if {"throughput", "latency"} & set(params["phases"]):
                result["pipeline"], result["diagnostics"] = run_pipeline(
                    isolation, state_dir, params, before_load=stopping.close
                )
        if "store" in params["phases"]:
            sizes = tuple(int(size) for size in params["store_sizes"])
            result["by_id"] = store.measure_by_id(
                options["mongo_uri"],
                f"{isolation.db_prefix}byid",
                sizes,
                params["store_samples"],
                progress=say,
            )
        if "console" in params["phases"]:
            result["console"] = run_console(isolation, state_dir, params)
        ok = True
    except Exception as exc:  # keep what the earlier phases measured
        console.print_exception()
        result["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        for leftover in isolation.destroy():
            say(f"[yellow]could not remove {leftover}[/]")
        if ok and not options["state_dir"]:
            shutil.rmtree(state_dir, ignore_errors=True)
        elif not ok and state_dir.exists():
            say(f"[red]failed[/]: process logs kept in {state_dir}")
    bare = result.get("bare_chain")
    throughput = result.get("pipeline", {}).get("throughput")
    if bare and throughput and bare["rates_per_second"]["dispatched"]:
        result["ratio_pipeline_to_bare"] = round(
            throughput["rates_per_second"]["dispatched"] / bare["rates_per_second"]["dispatched"], 3
        )
    result["targets"] = targets(result, params)
    result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["output"] = str(output)
    report.write_json(result, output)
    out = Console()
    report.print_result(result, out if out.is_terminal else Console(width=110))
    if not ok:
        raise SystemExit(f"bench failed: {result['error']} (figures above are partial)")


def run_console(isolation: harness.Isolation, state_dir: Path, params: dict) -> dict[str, Any]:
    """The console phase on a vhost and databases of its own: the pipeline phases leave
    thousands of events in their queues (metrics and notify drain them for minutes), which
    would stand between the console's sign-in code and its SMS."""
    own = harness.Isolation(f"{isolation.run_id}p", isolation.host_amqp_uri, isolation.mongo_uri)
    own.create()
    try:
        return console_phase.run_console_phase(own, state_dir, params | {"secret": SECRET}, say)
    finally:
        for leftover in own.destroy():
            say(f"[yellow]could not remove {leftover}[/]")


def _parameters(options: dict[str, Any]) -> dict[str, Any]:
    params = {
        key: options[key]
        for key in (
            "duration",
            "warmup",
            "clients",
            "max_in_flight",
            "rate",
            "latency_duration",
            "bare_duration",
            "resolve",
            "communities",
            "store_samples",
            "seed",
            "log_level",
            "smoke",
            "ferretdb_metrics_url",
            "command_log",
            "console_cases",
            "console_samples",
            "photos_stored",
            "photo_samples",
        )
    }
    params["warmup_cases"] = 40  # sent and drained before any phase is measured
    params["store_sizes"] = [int(size) for size in options["store_sizes"].split(",")]
    params["phases"] = [phase.strip() for phase in options["phases"].split(",") if phase.strip()]
    sizes = params["store_sizes"]
    if len(sizes) < 2 or not 0 < sizes[0] < sizes[-1]:
        raise click.BadParameter("two growing sizes, e.g. 1000,100000", param_hint="--store-sizes")
    unknown = set(params["phases"]) - set(PHASES + OTHER_PHASES)
    if unknown:
        raise click.BadParameter(f"unknown phases {sorted(unknown)}", param_hint="--phases")
    if options["smoke"]:  # a few cases per phase: checks the machinery, measures nothing
        params.update(
            duration=1.5,
            warmup=0.5,
            clients=4,
            max_in_flight=8,
            rate=10.0,
            latency_duration=1.0,
            bare_duration=1.0,
            store_sizes=[200, 1000],
            store_samples=20,
            warmup_cases=4,
            communities=1,
            console_cases=500,
            console_samples=5,
            photos_stored=50,
            photo_samples=2,
        )
    return params


# --- the bare chain ------------------------------------------------------------------------


def run_bare_chain(
    isolation: harness.Isolation, state_dir: Path, params: dict, cleanup: contextlib.ExitStack
) -> dict[str, Any]:
    """`cleanup` gets what is still stopping when this returns."""
    tracker = load.Tracker(params["max_in_flight"], complete_on="dispatched")

    def on_event(routing_key: str, body: Any, at: float) -> None:
        tracker.mark(body.get("item_id"), "dispatched", at)

    stopping = cleanup
    with contextlib.ExitStack() as cleanup:
        probe = observe.Probe(
            isolation.amqp_uri, f"{chain.INTAKE}.events", ["item.dispatched"], on_event
        ).start()
        cleanup.callback(probe.stop)
        say("bare chain: starting two nameko services")
        bare = harness.BareChain(isolation.amqp_uri, state_dir, params["log_level"])
        cleanup.callback(bare.stop)
        stopping.callback(bare.wait)
        bare.start()
        target = load.Target("127.0.0.1", bare.port, "/v1/items", id_for=lambda key: key)
        groups = [
            cpu.Group(chain.INTAKE, lambda: bare.pids(chain.INTAKE)),
            cpu.Group(chain.ROSTER, lambda: bare.pids(chain.ROSTER)),
            cpu.Group("RabbitMQ", cpu.rabbitmq),
            cpu.Group("bench", lambda: [os.getpid()], descendants=False),
        ]
        workload = Workload(seed=params["seed"] + 1, tag="BARE")
        load.closed_loop(
            target,
            workload,
            tracker,
            "warmup",
            4,
            60,
            max_cases=params["warmup_cases"],
            trouble=probe.trouble,
        )
        _drain(isolation, chain.QUEUES, tracker, "warmup", "dispatched", 30, probe)
        say(f"bare chain: max throughput for {params['bare_duration']:g}s")
        before = cpu.snapshot(groups)
        send = load.closed_loop(
            target,
            workload,
            tracker,
            "bare",
            params["clients"],
            params["bare_duration"],
            trouble=probe.trouble,
        )
        drained, drain_seconds = _drain(
            isolation, chain.QUEUES, tracker, "bare", "dispatched", 60, probe
        )
        after = cpu.snapshot(groups)
        probe.check()
    figures = report.phase_figures(tracker.of_phase("bare"), send, params["warmup"], ["dispatched"])
    figures.update(drained=drained, drain_seconds=round(drain_seconds, 2))
    figures["cpu"] = report.cpu_figures(
        cpu.delta(before, after),
        figures["cases_dispatched"],
        [chain.INTAKE, chain.ROSTER, "RabbitMQ"],
        send.cpu_seconds,
    )
    say(f"bare chain: {figures['rates_per_second']['dispatched']:.1f} items/s")
    return figures


# --- the pipeline --------------------------------------------------------------------------


def run_pipeline(
    isolation: harness.Isolation,
    state_dir: Path,
    params: dict,
    before_load: Callable[[], None] = lambda: None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`before_load` runs once the stack is ready (the bare chain finishes stopping)."""
    complete_on = "resolved" if params["resolve"] else "delivered"
    milestones = ["dispatched", "delivered"]
    if params["resolve"]:
        milestones += ["accepted", "resolved"]
    tracker = load.Tracker(params["max_in_flight"], complete_on=complete_on)

    def on_case_event(routing_key: str, body: Any, at: float) -> None:
        payload = body.get("payload") or {}
        case_id = payload.get("case_id") or body.get("case_id")
        if routing_key == "case.dispatched":
            tracker.mark(case_id, "dispatched", at, person_id=payload.get("person_id"))
        elif routing_key in SETTLED_EVENTS:
            tracker.mark(case_id, SETTLED_EVENTS[routing_key], at)

    results: dict[str, Any] = {}
    with contextlib.ExitStack() as cleanup:
        receiver = observe.Receiver(
            SECRET, lambda body, at: tracker.mark(body.get("case_id"), "delivered", at)
        ).start()
        cleanup.callback(receiver.stop)
        probe = observe.Probe(
            isolation.amqp_uri, "cases.events", ["case.dispatched", *SETTLED_EVENTS], on_case_event
        ).start()
        cleanup.callback(probe.stop)
        say("pipeline: starting cases, roster, notify, metrics")
        command_log = state_dir / "commands.jsonl" if params["command_log"] else None
        declare_topology(isolation.amqp_uri)
        communities = community_ids(params["communities"])
        issuing = ThreadPoolExecutor(max_workers=1)  # the key CLI, while the services start
        # the intake's key claims every channel of the workload, the hotline's among them
        channels = [arg for channel, _ in CHANNELS for arg in ("--channel", channel)]
        hotline_key = issuing.submit(
            _issue_key,
            isolation,
            receiver,
            "hotline-12345",
            ["report"],
            communities,
            ["--hotline", "changsha-12345", *channels],
        )
        stack = harness.start_pipeline(
            isolation,
            state_dir / "pipeline",
            receiver.url,
            SECRET,
            params["log_level"],
            communities,
            command_log,
        )
        cleanup.callback(harness.stop_pipeline, stack)
        hotline_key = hotline_key.result()
        issuing.shutdown()
        host, port = stack.url("cases").rsplit("//", 1)[1].split(":")
        target = load.Target(
            host,
            int(port),
            "/v1/cases",
            id_for=partial(case_id_for, key_id=hotline_key.split("_")[1] if hotline_key else None),
            headers={KEY_HEADER: hotline_key} if hotline_key else {},
        )
        volunteers = None
        if params["resolve"]:
            volunteers = load.Volunteers(
                host,
                int(port),
                tracker,
                credentials=_volunteer_credentials(isolation, receiver, stack, communities),
            )
            cleanup.callback(volunteers.close)
        phase = _Phase(
            isolation,
            tracker,
            probe,
            groups=[
                *(
                    cpu.Group(service, _service_pids(stack, service, isolation.db_prefix))
                    for service in SERVICES
                ),
                cpu.Group("FerretDB", _ferretdb_pids(isolation.mongo_uri)),
                cpu.Group("RabbitMQ", cpu.rabbitmq),
                cpu.Group("bench", lambda: [os.getpid()], descendants=False),
            ],
            system=[*SERVICES, "FerretDB", "RabbitMQ"],
            milestones=milestones,
            complete_on=complete_on,
            volunteers=volunteers,
            ferretdb_url=params["ferretdb_metrics_url"],
            command_log=(command_log, isolation.db_prefix) if command_log else None,
        )
        workload = Workload(seed=params["seed"], communities=tuple(communities))
        before_load()

        say("pipeline: warm-up")
        load.closed_loop(
            target,
            workload,
            tracker,
            "warmup",
            4,
            60,
            max_cases=params["warmup_cases"],
            trouble=probe.trouble,
        )
        _drain(isolation, phase.queues, tracker, "warmup", complete_on, 60, probe)

        if "throughput" in params["phases"]:
            say(
                f"pipeline: max throughput for {params['duration']:g}s "
                f"({params['clients']} clients, ≤{params['max_in_flight']} in flight)"
            )
            figures = phase.measure(
                "throughput",
                lambda: load.closed_loop(
                    target,
                    workload,
                    tracker,
                    "throughput",
                    params["clients"],
                    params["duration"],
                    trouble=probe.trouble,
                ),
                warmup=params["warmup"],
                drain_timeout=120,
            )
            results["throughput"] = figures
            say(f"pipeline: {figures['rates_per_second']['dispatched']:.1f} cases/s dispatched")

        if "latency" in params["phases"]:
            say(f"pipeline: {params['rate']:g} cases/s for {params['latency_duration']:g}s")
            figures = phase.measure(
                "latency",
                lambda: load.open_loop(
                    target, workload, tracker, "latency", params["rate"], params["latency_duration"]
                ),
                warmup=0.0,
                drain_timeout=60,
            )
            results["latency"] = figures
            lat = figures["latency_ms"]
            say(
                f"pipeline: p95 dispatched {lat['dispatched']['p95_ms']} ms, "
                f"delivered {lat['delivered']['p95_ms']} ms"
            )
        diagnostics = _diagnostics(stack, isolation, tracker, receiver)
    return results, diagnostics


class _Phase:
    """Runs one load phase of the pipeline and measures it: CPU and FerretDB commands from
    before the first send until every case is complete and every queue drained."""

    def __init__(
        self,
        isolation,
        tracker,
        probe,
        groups,
        system,
        milestones,
        complete_on,
        volunteers,
        ferretdb_url,
        command_log: tuple[Path, str] | None = None,
    ):
        self.isolation, self.tracker, self.probe = isolation, tracker, probe
        self.groups, self.system, self.milestones = groups, system, milestones
        self.complete_on, self.volunteers, self.ferretdb_url = complete_on, volunteers, ferretdb_url
        self.command_log = command_log  # the services' query log and their database prefix
        self.queues = harness.pipeline_queues()

    def measure(
        self, name: str, drive: Callable[[], load.SendStats], warmup: float, drain_timeout: float
    ) -> dict[str, Any]:
        commands_before = observe.ferretdb_commands(self.ferretdb_url)
        since = time.time()
        volunteer_cpu = self.volunteers.stats.cpu_seconds if self.volunteers else 0.0
        before = cpu.snapshot(self.groups)
        send = drive()
        backlog = sum(observe.queue_depths(self.isolation.amqp_uri, self.queues).values())
        drained, drain_seconds = _drain(
            self.isolation,
            self.queues,
            self.tracker,
            name,
            self.complete_on,
            drain_timeout,
            self.probe,
        )
        after = cpu.snapshot(self.groups)
        commands_after = observe.ferretdb_commands(self.ferretdb_url)
        until = time.time()
        self.probe.check()
        figures = report.phase_figures(self.tracker.of_phase(name), send, warmup, self.milestones)
        figures.update(
            drained=drained,
            drain_seconds=round(drain_seconds, 2),
            queue_backlog_at_last_send=backlog,
            database_commands_per_case=observe.per_case(
                commands_before, commands_after, figures["cases_reported"]
            ),
        )
        if self.command_log:
            log, db_prefix = self.command_log
            figures["commands_by_service"] = observe.commands_by_service(
                log, db_prefix, since, until, figures["cases_reported"]
            )
        if self.volunteers:
            volunteer_cpu = self.volunteers.stats.cpu_seconds - volunteer_cpu
        figures["cpu"] = report.cpu_figures(
            cpu.delta(before, after),
            figures["cases_dispatched"],
            self.system,
            send.cpu_seconds + volunteer_cpu,
        )
        return figures


KEY_HEADER = "X-Api-Key"
PERSON_HEADER = "X-Lianxin-Person"


def _issue_key(
    isolation,
    receiver,
    name: str,
    scopes: list[str],
    communities: list[str],
    options: list[str] | None = None,
):
    key, why_not = harness.issue_api_key(
        isolation,
        name,
        scopes,
        list(communities),
        harness.service_env(receiver.url, SECRET, "WARNING"),
        options,
    )
    say(f"pipeline: {name} key issued" if key else f"pipeline: no {name} key ({why_not})")
    return key


def _volunteer_credentials(
    isolation, receiver, stack, communities: list[str]
) -> Callable[[str], dict[str, str]]:
    """A volunteer app's key (scope act) and, per person, a person token minted with an admin
    key; nothing where this tree has no API keys."""
    app_key = _issue_key(isolation, receiver, "volunteer-app", ["act"], communities)
    admin_key = _issue_key(isolation, receiver, "bench-admin", ["admin"], ["*"])
    if not (app_key and admin_key):
        return lambda person_id: {}
    tokens: dict[str, str] = {}
    lock = threading.Lock()

    def credentials(person_id: str) -> dict[str, str]:
        with lock:
            if person_id not in tokens:
                answer = requests.post(
                    f"{stack.url('cases')}/v1/person-tokens",
                    json={"person_id": person_id, "role": "volunteer", "communities": communities},
                    headers={KEY_HEADER: admin_key},
                    timeout=10,
                )
                answer.raise_for_status()
                tokens[person_id] = answer.json()["token"]
        return {KEY_HEADER: app_key, PERSON_HEADER: tokens[person_id]}

    return credentials


def _drain(isolation, queues, tracker, phase, milestone, timeout, probe) -> tuple[bool, float]:
    def done() -> bool:
        probe.check()  # a lost probe never sees the rest: fail now, not after the timeout
        return tracker.pending(phase, milestone) == 0

    drained, seconds = observe.wait_drained(isolation.amqp_uri, queues, done, timeout)
    if not drained:
        say(
            f"[yellow]{phase}: {tracker.pending(phase, milestone)} cases still without "
            f"{milestone} after {timeout}s[/]"
        )
    return drained, seconds


def _service_pids(stack, service: str, db_prefix: str) -> Callable[[], list[int]]:
    """The service's processes under this run's database prefix (however they were started:
    replicas and supervisors included), else what the Stack knows."""
    by_env = cpu.by_environment("MONGO_DB_PREFIX", db_prefix, SERVICES[service].split(":")[0])

    def find() -> list[int]:
        return by_env() or [pid for pid in [stack.running(service)] if pid]

    return find


def _ferretdb_pids(mongo_uri: str) -> Callable[[], list[int]]:
    address = mongo_uri.split("//", 1)[1].split("/", 1)[0].split("@")[-1]
    return cpu.by_pid_file(
        ROOT / "var" / "run" / "ferretdb.pid",
        cpu.by_command("ferretdb", f"--listen-addr={address}"),
    )


def _diagnostics(stack, isolation, tracker, receiver) -> dict[str, Any]:
    """Evidence of where the time went: each service's handler times and trouble counters,
    documents stored per case (exactly once?), the largest document of each small
    collection (does one grow?), leases left behind."""
    services = {}
    metrics_port = getattr(stack, "metrics_port", None)
    for service in SERVICES if metrics_port else ():
        services[service] = observe.service_counters(
            f"http://127.0.0.1:{metrics_port(service)}/metrics"
        )
    reported = sum(1 for case in tracker.cases.values() if case.answered is not None)
    documents: dict[str, Any] = {"cases_reported": reported, "per_case": {}, "largest_kb": {}}
    client = MongoClient(isolation.mongo_uri, serverSelectionTimeoutMS=5000)
    try:
        for service in SERVICES:
            db = client[f"{isolation.db_prefix}{service}"]
            for name in sorted(db.list_collection_names()):
                count = db[name].estimated_document_count()
                if name == "leases":
                    documents.setdefault("leases_left", {})[service] = count
                elif count > 100:
                    documents["per_case"][f"{service}.{name}"] = round(count / max(reported, 1), 2)
                elif count:  # a small collection: does any of its documents grow?
                    largest = max(len(bson.encode(doc)) for doc in db[name].find({}))
                    documents["largest_kb"][f"{service}.{name}"] = round(largest / 1024, 1)
        cases = client[f"{isolation.db_prefix}cases"]["cases"]
        sizes = [
            len(bson.encode(doc))
            for doc in (cases.find_one({"_id": case_id}) for case_id in list(tracker.cases)[-50:])
            if doc
        ]
        if sizes:
            documents["case_median_kb"] = round(sorted(sizes)[len(sizes) // 2] / 1024, 1)
    except Exception as exc:  # diagnostics only
        documents["error"] = str(exc)
    finally:
        client.close()
    return {
        "services": services,
        "documents": documents,
        "webhooks_unverified": receiver.unverified,
        "duplicate_milestones": dict(tracker.duplicates),
    }


def targets(result: dict[str, Any], params: dict[str, Any]) -> list[dict[str, Any]]:
    pipeline = result.get("pipeline", {})
    throughput = pipeline.get("throughput") or {}
    latency = pipeline.get("latency") or {}
    by_id = result.get("by_id") or {}
    rate = (throughput.get("rates_per_second") or {}).get("dispatched")
    ratio = result.get("ratio_pipeline_to_bare")
    p95_dispatched = (latency.get("latency_ms") or {}).get("dispatched", {}).get("p95_ms")
    p95_delivered = (latency.get("latency_ms") or {}).get("delivered", {}).get("p95_ms")
    worst = by_id.get("worst_ratio")
    board = result.get("console") or {}
    board_p95 = (board.get("board_first_page") or {}).get("p95_ms")
    case_p95 = (board.get("case_page") or {}).get("p95_ms")
    volunteer_p95 = (board.get("volunteer_case_page") or {}).get("p95_ms")
    round_trips = board.get("sign_in_round_trips")
    photos = board.get("photos") or {}
    upload_p95 = (photos.get("upload_to_stored_thumbnail") or {}).get("p95_ms")
    read_p95 = max(
        (photos.get(read) or {}).get("p95_ms") or 0 for read in ("read_thumbnail", "read_full")
    ) or None

    def check(value, ok: Callable[[Any], bool]) -> bool | None:
        return None if value is None or params["smoke"] else ok(value)

    return [
        {
            "target": "≥ 50 cases/s report→dispatched (first step)",
            "value": rate,
            "met": check(rate, lambda v: v >= 50),
        },
        {
            "target": "≥ 100 cases/s report→dispatched",
            "value": rate,
            "met": check(rate, lambda v: v >= 100),
        },
        {
            "target": f"p95 report→dispatched ≤ 250 ms at {params['rate']:g}/s",
            "value": p95_dispatched,
            "met": check(p95_dispatched, lambda v: v <= 250),
        },
        {
            "target": f"p95 report→delivered ≤ 250 ms at {params['rate']:g}/s (design target)",
            "value": p95_delivered,
            "met": check(p95_delivered, lambda v: v <= 250),
        },
        {
            "target": "pipeline ≥ 0.5 × bare nameko chain (design target)",
            "value": ratio,
            "met": check(ratio, lambda v: v >= 0.5),
        },
        {
            "target": "by-_id at 100× documents ≤ 1.5× (worst operation)",
            "value": worst,
            "met": check(worst, lambda v: v <= 1.5),
        },
        {
            "target": f"case board first page p95 ≤ 300 ms at {board.get('cases_on_board')} cases",
            "value": board_p95,
            "met": check(board_p95, lambda v: v <= 300),
        },
        {
            "target": "case page p95 ≤ 300 ms",
            "value": case_p95,
            "met": check(case_p95, lambda v: v <= 300),
        },
        {
            "target": "a volunteer's case page (from their message's link) p95 ≤ 200 ms",
            "value": volunteer_p95,
            "met": check(volunteer_p95, lambda v: v <= 200),
        },
        {
            "target": "sign-in to the home page ≤ 3 browser round trips",
            "value": round_trips,
            "met": check(round_trips, lambda v: v <= 3),
        },
        {
            "target": "3 MB photo upload to stored thumbnail p95 ≤ 1 s",
            "value": upload_p95,
            "met": check(upload_p95, lambda v: v <= 1000),
        },
        {
            "target": f"photo read p95 ≤ 100 ms at {photos.get('photos_stored')} photos "
            "(the slower of full and thumbnail)",
            "value": read_p95,
            "met": check(read_p95, lambda v: v <= 100),
        },
    ]


def _git_commit() -> str | None:
    with contextlib.suppress(Exception):
        answer = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        )
        if answer.returncode == 0:
            dirty = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=5,
            ).stdout
            return answer.stdout.strip() + ("+dirty" if dirty.strip() else "")
    return None


if __name__ == "__main__":
    main()
