"""The stack a simulation runs on, started as `make run` starts one but in a place of its
own (a RabbitMQ vhost, broker users and a database prefix, like the bench), every process
on the same scaled clock; the sample community imported by the admin CLI; the keys an
operator would issue; and, in this process, the receiver of what notify sends out (the
SMS gateway, the groups' webhook, the 12345 hotline's reply callback).

The sample's policy and cases' taxonomy are kept but for the waits on a person: at a day
in five seconds the pipeline's own latency (a few tenths of a real second) is an hour or
two of domain time, so a 15-minute offer would lapse, and a 30-minute time to accept run
out, before any volunteer's phone could ring. Offer windows, escalation waits and times
to accept are stretched to at least REACTION_REAL_SECONDS of real time (at a day a
minute they stay as shipped).
"""

from __future__ import annotations

import math
import secrets
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path

import yaml

from lianxin.clock import VARIABLE, ScaledClock
from scripts.bench import harness
from scripts.simulate.apis import Apis
from scripts.simulate.timeline import Quarter
from scripts.stack import ROOT, SERVICES, Stack, declare_topology
from scripts.webhook_sink import Sink, handler_for

COMMUNITY = "jingxiang"
SAMPLE = ROOT / "services" / "roster" / "data" / COMMUNITY
HOUSEHOLDS = ROOT / "services" / "estate" / "data" / COMMUNITY / "households.csv"
HOTLINE = "changsha-12345"
STAFF = "p-staff-1"
CASES_DATA = ROOT / "services" / "cases" / "data"
REACTION_REAL_SECONDS = 1.5
# the keys the simulator acts with, issued through the admin API with the first admin key
# (made by the CLI, as an operator makes it)
KEYS = {
    # the channels residents and grid workers report through (the hotline has its own)
    "intake": {"scopes": ["report", "read"],
               "channels": ["wechat", "patrol", "walk_in", "door_knocking", "app", "scan"]},
    "hotline": {"scopes": ["report", "read"], "hotline_id": HOTLINE, "channels": ["hotline"]},
    "staff": {"scopes": ["act", "read"], "person_id": STAFF, "role": "staff"},
    "app": {"scopes": ["act", "read"]},  # the volunteers' app, with their person tokens
    # the residents' public pages (the console's residents' key): a household's answer to a
    # pact observation and its property ballot, for a number the page proved by SMS code
    "residents": {"scopes": ["verify", "resident"]},
    "reader": {"scopes": ["read"]},  # dashboards, statistics
}  # fmt: skip


@dataclass
class Stage:
    isolation: harness.Isolation
    stack: Stack
    clock: ScaledClock
    quarter: Quarter
    sink: Sink
    server: ThreadingHTTPServer
    apis: Apis

    def start_clock(self) -> None:
        """Every process's clock runs from now (lianxin.clock: the anchor file's time)."""
        Path(self.clock.anchor_file).touch()

    def stop(self) -> list[str]:
        """Stop the processes and remove the vhost and databases; what could not be."""
        harness.stop_pipeline(self.stack)
        self.stack.down()
        self.server.shutdown()
        return self.isolation.destroy()


def scaled_clock(quarter: Quarter, speed: float, state_dir: Path) -> ScaledClock:
    """The clock stands at the quarter's first midnight while the stack starts and the
    community is imported, however long that takes; Stage.start_clock sets it running."""
    go = state_dir.resolve() / "quarter-starts"  # every process reads it, from its own cwd
    state_dir.mkdir(parents=True, exist_ok=True)
    go.unlink(missing_ok=True)
    return ScaledClock(quarter.starts, None, speed, str(go))


def start_stage(
    quarter: Quarter,
    clock: ScaledClock,
    state_dir: Path,
    amqp_uri: str,
    mongo_uri: str,
    log_level: str = "WARNING",
    base_port: int | None = None,
    say=print,
) -> Stage:
    """`base_port` as `make up` has it (8000: the ports Prometheus scrapes, for Grafana)
    when that stack is down; by default free ports."""
    run_id = secrets.token_hex(4)
    isolation = harness.Isolation(run_id, amqp_uri, mongo_uri, label="sim")
    isolation.create()
    sink = Sink(secrets.token_urlsafe(24), fail_first=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(sink, echo=False))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sink_at = f"127.0.0.1:{server.server_address[1]}"
    state_dir.mkdir(parents=True, exist_ok=True)
    phone_secret = {"ESTATE_PHONE_SECRET": secrets.token_urlsafe(24)}  # the CLI's and estate's
    env = harness.service_env(f"http://{sink_at}/hooks", sink.secret, log_level) | {
        VARIABLE: clock.spec(),
        "NOTIFY_SMS_URL": f"http://{sink_at}/sms",
        "NOTIFY_SMS_API_KEY": "simulated-sms-gateway",
        "NOTIFY_ROUTES_FILE": str(_routes_file(state_dir, f"http://{sink_at}/hotline", sink)),
        "CASES_DATA_DIR": str(_cases_data(state_dir, clock)),
        **phone_secret,
    }
    stack = Stack(
        amqp_uri=isolation.amqp_uri,
        broker_users=isolation.broker_users,
        mongo_uri=mongo_uri,
        db_prefix=isolation.db_prefix,
        base_port=base_port or harness.free_base_port(),
        state_dir=state_dir,
        env=env,
        sink_port=None,
    )
    stage = Stage(isolation, stack, clock, quarter, sink, server, Apis({}))
    try:
        say(f"stack: vhost {isolation.vhost}, databases {isolation.db_prefix}*, {VARIABLE} set")
        declare_topology(isolation.amqp_uri)  # the CLI's events wait in the queues
        stage.apis = Apis({service: stack.url(service) for service in SERVICES})
        with ThreadPoolExecutor(max_workers=2) as meanwhile:  # each CLI takes seconds
            imported = meanwhile.submit(
                _import_community, isolation, state_dir, clock, phone_secret
            )
            admin = meanwhile.submit(_admin_key, isolation, clock)
            stack.up(timeout=180)
            say(f"stack: up, the console at {stack.url('console')}; what notify sends "
                f"(sign-in codes too) at http://{sink_at}/messages")  # fmt: skip
            imported.result()
            stage.apis.keys["admin"] = admin.result()
        _issue_keys(stage.apis)
        harness.wait_for_areas_in_cases(isolation, [COMMUNITY])
        _wait_for_keys(stage.apis)
    except BaseException:
        stage.stop()
        raise
    return stage


def _routes_file(state_dir: Path, hotline_url: str, sink: Sink) -> Path:
    """Notify's routes as the development file has them, with the 12345 hotline's reply
    callback at the receiver (which checks its signature)."""
    routes = yaml.safe_load((ROOT / "services/notify/data/routes.yaml").read_text("utf-8"))
    routes["hotlines"] = {HOTLINE: {"url": hotline_url, "secret": sink.secret}}
    path = state_dir / "routes.yaml"
    path.write_text(yaml.safe_dump(routes, allow_unicode=True), encoding="utf-8")
    return path


def _admin_cli(
    isolation: harness.Isolation, clock: ScaledClock, *args: str, env: dict | None = None
):
    """The admin CLI on the stack's clock: what it records (a person's access changed at
    import, a key's creation) is domain time, as the services read it."""
    return harness.admin_cli(
        isolation, list(args), timeout=180, env={VARIABLE: clock.spec(), **(env or {})}
    )


def _cases_data(state_dir: Path, clock: ScaledClock) -> Path:
    """Cases' data with every time to accept at least the reaction's real seconds (a
    category's 30 minutes are 0.1 s at a day in five seconds: every case would be overdue
    before its offer reached a phone). The rest as shipped."""
    target = state_dir / "cases-data"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(CASES_DATA, target)
    least = math.ceil(REACTION_REAL_SECONDS * clock.speed / 60)
    taxonomy = yaml.safe_load((CASES_DATA / "taxonomy.yaml").read_text(encoding="utf-8"))
    limits = [taxonomy["default_limits"]]
    limits += [category.get("limits") or {} for category in taxonomy["categories"].values()]
    for table in limits:
        for limit in table.values():
            if "accept_minutes" in limit:
                limit["accept_minutes"] = max(limit["accept_minutes"], least)
    (target / "taxonomy.yaml").write_text(yaml.safe_dump(taxonomy, allow_unicode=True), "utf-8")
    return target


def _import_community(
    isolation: harness.Isolation, state_dir: Path, clock: ScaledClock, phone_secret: dict
) -> None:
    """A copy of the sample whose policy has the dispatch's waits stretched, imported as
    an operator imports a community; then its household register (estate's), as is."""
    community = state_dir / "community"
    shutil.rmtree(community, ignore_errors=True)
    shutil.copytree(SAMPLE, community)
    sample = yaml.safe_load((SAMPLE / "community.yaml").read_text(encoding="utf-8"))
    defaults = yaml.safe_load((ROOT / "services/roster/data/policy.yaml").read_text("utf-8"))
    least = timedelta(seconds=REACTION_REAL_SECONDS * clock.speed)
    windows = {
        priority: _at_least(wait, least) for priority, wait in defaults["offer_window"].items()
    }
    steps = [
        {**step, "wait": _at_least(step["wait"], least)} if "wait" in step else step
        for step in defaults["escalation"]
    ]
    sample["policies"] = [
        {**policy, "offer_window": windows, "escalation": steps} for policy in sample["policies"]
    ]
    (community / "community.yaml").write_text(yaml.safe_dump(sample, allow_unicode=True), "utf-8")
    run = _admin_cli(isolation, clock, "roster", "import", str(community))
    if run.returncode != 0:
        raise RuntimeError(f"roster import failed:\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
    run = _admin_cli(isolation, clock, "estate", "import", str(HOUSEHOLDS), env=phone_secret)
    if run.returncode != 0:
        raise RuntimeError(f"estate import failed:\n{run.stdout[-2000:]}{run.stderr[-2000:]}")


def _at_least(duration: str, least: timedelta) -> str:
    """A policy duration (`15m`) no shorter than `least`, in whole minutes."""
    minutes = {"m": 1, "h": 60, "d": 1440}[duration[-1]] * int(duration[:-1])
    return f"{max(minutes, math.ceil(least.total_seconds() / 60))}m"


def _admin_key(isolation: harness.Isolation, clock: ScaledClock) -> str:
    run = _admin_cli(isolation, clock, "keys", "create", "--name", "simulator-admin",
                     "--scope", "admin", "--community", "*")  # fmt: skip
    lines = run.stdout.strip().splitlines()
    if run.returncode != 0 or not lines or not lines[-1].startswith("lx_"):
        raise RuntimeError(f"keys create failed: {run.stderr[-1000:]}")
    return lines[-1].strip()


def _issue_keys(apis: Apis) -> None:
    for name, grant in KEYS.items():
        body = {"name": f"simulator-{name}", "communities": [COMMUNITY], **grant}
        apis.keys[name] = apis.json("POST", "cases", "/v1/keys", "admin", expect=(201,),
                                    json=body)["key"]  # fmt: skip


def _wait_for_keys(apis: Apis, timeout: float = 60.0) -> None:
    """Cases owns the keys; the other services learn of them from `apikey.changed`."""
    probes = {
        "roster": f"/v1/areas?community_id={COMMUNITY}&kind=community",
        "metrics": f"/v1/stats/summary?community_id={COMMUNITY}",
        "estate": f"/v1/households?community_id={COMMUNITY}",
        "notify": f"/v1/notices?community_id={COMMUNITY}",
    }
    deadline = time.monotonic() + timeout
    for service, path in probes.items():
        while apis.call("GET", service, path, "reader", expect=range(600)).status_code == 401:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{service} does not know the simulator's keys")
            time.sleep(0.2)
