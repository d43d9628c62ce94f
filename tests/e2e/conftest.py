"""The four services as separate processes against the real broker and database."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
import yaml
from kombu import Connection, Queue
from pymongo import MongoClient

from lianxin.access.actors import CHANNELS, ROLES
from lianxin.bus.consumer import dead_letter_queue_name
from scripts.broker_users import BrokerUsers
from scripts.stack import SERVICES, Stack, service_classes
from scripts.webhook_sink import Sink, handler_for
from tests.conftest import MONGO_URI
from tests.ports import free_base
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
SIGNING_SECRET = "test-signing-secret"
TOKEN_SECRET = "test-token-secret-0123456789"
ESTATE_PHONE_SECRET = "test-estate-phone-secret-0123"
# every service runs as two processes competing on the same queues (1 to tell whether a
# failure has to do with replicas)
REPLICAS = int(os.environ.get("LIANXIN_E2E_REPLICAS", "2"))


@pytest.fixture(scope="session")
def sink():
    """A real HTTP receiver for the notify service's signed webhooks."""
    receiver = Sink(SIGNING_SECRET, fail_first=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(receiver))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield receiver
    server.shutdown()


def sink_address(sink: Sink) -> str:
    """`127.0.0.1:<port>` of the sink, as notify's egress allow-list names it."""
    return sink.url.split("/")[2]


def new_stack(
    amqp_uri: str,
    broker_users: BrokerUsers,
    mongo_uri: str,
    db_prefix: str,
    state_dir,
    sink: Sink,
) -> Stack:
    """The services under a supervisord of their own, started as `make up` starts them,
    two replicas each, each service as its own broker user (granted on `amqp_uri`'s vhost).
    Without autorestart: a process a test kills stays dead until the test starts it again,
    so no test races supervisord's restart."""
    stack = Stack(
        amqp_uri=amqp_uri,
        broker_users=broker_users,
        mongo_uri=mongo_uri,
        db_prefix=db_prefix,
        state_dir=state_dir,
        env={
            "NOTIFY_WEBHOOK_URL": sink.url,
            "NOTIFY_EGRESS_ALLOW": sink_address(sink),  # the one loopback address it may send to
            "NOTIFY_SIGNING_SECRET": SIGNING_SECRET,
            "LEASE_TTL_SECONDS": "3",
            # an agreement's follow-up visit due 20 s on, not 30 days: its reminder is seen
            "MEDIATION_FOLLOW_UP_DAYS": str(20 / 86400),
            "HANDLER_RETRY_BASE_SECONDS": "0.2",
            "HANDLER_MAX_ATTEMPTS": "4",
            "NOTIFY_RETRY_BASE_SECONDS": "1",  # sends are retried after 1 s, 2 s, 4 s
            "NOTIFY_MAX_ATTEMPTS": "4",
            "LOG_LEVEL": "WARNING",
            "LIANXIN_DEV_MODE": "false",  # the production path: real secrets required
            "LIANXIN_TOKEN_SECRET": TOKEN_SECRET,
            "ESTATE_PHONE_SECRET": ESTATE_PHONE_SECRET,
            "ESTATE_PACT_FILE": str(Path(__file__).parent / "pact.yaml"),  # windows of seconds
            "LIANXIN_QUERY_LOG": str(state_dir / "queries.jsonl"),
        },
        replicas=REPLICAS,
        autorestart=False,
        sink_port=None,  # webhooks go to the `sink` fixture, in this process
    )
    stack.base_port = free_base([port - stack.base_port for port in stack.ports()])
    return stack


@pytest.fixture(scope="session")
def stack(amqp_uri, broker_users, db_prefix, mongo_client, sink, tmp_path_factory):
    """The session's stack, on the shared broker vhost and database of the session."""
    state_dir = tmp_path_factory.mktemp("stack")
    stack = new_stack(amqp_uri, broker_users, MONGO_URI, db_prefix, state_dir, sink)
    try:
        stack.up()
        import_sample_community(stack)
        yield stack
    finally:
        stack.down()


@contextlib.contextmanager
def notify_restarted(stack: Stack, **env: str):
    """notify's processes restarted with `env` (an SMS gateway, a routes file) for a
    module's tests, then put back as they were."""
    stack.stop("notify")
    stack.start("notify", **env)
    stack.wait_ready(["notify"])
    try:
        yield
    finally:
        stack.stop("notify")
        stack.start("notify")
        stack.wait_ready(["notify"])


SAMPLE_COMMUNITY = ROOT / "services" / "roster" / "data" / "jingxiang"
SAMPLE_HOUSEHOLDS = ROOT / "services" / "estate" / "data" / "jingxiang" / "households.csv"


def import_sample_community(stack: Stack) -> None:
    """The sample community (grids jingxiang-g1..g3, its teams, people and rotas, and its
    household register), imported as an operator does once the services run:
    `scripts.admin roster import`, `scripts.admin estate import`.

    Every test of the session reports in grid jingxiang-g1, so the few people on duty there
    are offered the cases of all of them, and most offers are never answered: the policy
    after it lifts the sample's caps on open offers (3–5 by role), which would otherwise
    send one test's cases up the escalation chain for another's. The cap itself is tested
    in communities of their own (test_roster_dispatch, tests/roster)."""
    sample = yaml.safe_load((SAMPLE_COMMUNITY / "community.yaml").read_text(encoding="utf-8"))
    (policy,) = sample["policies"]  # a community's policy is replaced whole: keep the sample's
    lifted = stack.state_dir / "e2e-offer-caps.yaml"
    caps = {"max_open_offers": dict.fromkeys(ROLES, 200)}
    lifted.write_text(yaml.safe_dump({"policies": [{**policy, **caps}]}, allow_unicode=True))
    for path in (SAMPLE_COMMUNITY, lifted):
        imported = admin_cli(stack, "roster", "import", str(path))
        assert imported.returncode == 0, imported.stdout[-3000:] + imported.stderr[-3000:]
    imported = admin_cli(stack, "estate", "import", str(SAMPLE_HOUSEHOLDS))
    assert imported.returncode == 0, imported.stdout[-3000:] + imported.stderr[-3000:]


@pytest.fixture(scope="session")
def db(mongo_client, db_prefix):
    """The services' databases, for checking what they stored."""
    return lambda service: mongo_client[f"{db_prefix}{service}"]


def community(prefix: str = "c") -> str:
    """Each test counts in a community of its own, so statistics do not mix."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def report_body(community: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "description": "5栋楼道灯坏了 stair light broken",
        "community_id": community,
        "channel": "hotline",
        "location": {"grid_id": "jingxiang-g1", "building": "5"},
        "reporter": {"name": "李大爷", "phone": "13812345678"},
    }
    body.update(overrides)
    return body


def report_case(stack: Stack, community: str, **overrides: Any) -> dict[str, Any]:
    """Report a case in `community` with the helper key, the community's areas published
    first (see ensure_community)."""
    ensure_community(stack, community)
    response = requests.post(
        f"{stack.url('cases')}/v1/cases",
        json=report_body(community, **overrides),
        headers=helper_headers(stack),
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


def get_case(stack: Stack, case_id: str) -> dict[str, Any]:
    return requests.get(
        f"{stack.url('cases')}/v1/cases/{case_id}", headers=helper_headers(stack), timeout=5
    ).json()


def wait_for_state(stack: Stack, case_id: str, state: str, timeout: float = 30.0) -> dict:
    return wait_until(
        f"case {case_id} to be {state}",
        lambda: (case := get_case(stack, case_id))["state"] == state and case,
        timeout,
    )


def stats(stack: Stack, community: str) -> dict[str, int]:
    response = requests.get(
        f"{stack.url('metrics')}/v1/stats/summary",
        params={"community_id": community},
        headers=helper_headers(stack),
        timeout=5,
    )
    return response.json()["totals"]


COMMUNITY_ZONE = ZoneInfo("Asia/Shanghai")  # the sample's and every test community's


def community_today() -> date:
    """The test communities' day now: from 16:00 UTC it is already tomorrow in Beijing."""
    return datetime.now(COMMUNITY_ZONE).date()


def days_since(first: date) -> dict[str, str]:
    """A stats summary's `from` and `to`: from the community's day a test began to its day
    now, so that what the test did is counted whatever midnight in Beijing (16:00 UTC)
    passed while it ran."""
    return {"from": first.isoformat(), "to": community_today().isoformat()}


def webhooks_for(sink: Sink, case_id: str) -> list[dict]:
    with sink.lock:
        return [hook for hook in sink.received if hook["body"]["case_id"] == case_id]


def payload_of(message) -> dict | None:
    """A parked message's JSON body, or None when it does not decode (some are parked
    precisely because they do not)."""
    try:
        body = json.loads(message.body)
    except (TypeError, ValueError):
        return None
    return body if isinstance(body, dict) else None


def parked_message(amqp_uri: str, queue: str, wanted: Callable[[Any], bool]) -> Any | None:
    """The first message in `queue`'s dead-letter queue for which `wanted(message)` holds.
    Reading takes nothing away: every message stays parked for other tests to see."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        dead = Queue(dead_letter_queue_name(queue), no_declare=True)(channel)
        found = None
        while found is None and (message := dead.get(no_ack=False)) is not None:
            if wanted(message):
                found = message
        channel.close()  # unacknowledged: all of them go back
    return found


def parked_about(amqp_uri: str, queues: Iterable[str], case_ids: set[str]) -> list[dict]:
    """Every parked message, in the given queues, that concerns one of `case_ids`."""
    found = []
    for queue in queues:
        with Connection(amqp_uri) as connection:
            channel = connection.channel()
            dead = Queue(dead_letter_queue_name(queue), no_declare=True)(channel)
            while (message := dead.get(no_ack=False)) is not None:
                body = payload_of(message) or {}
                if body.get("case_id") in case_ids or body.get("aggregate_id") in case_ids:
                    found.append(body)
            channel.close()
    return found


# Keys: every route but /healthz, /livez and the OpenAPI documents needs one.


def admin_cli(stack: Stack, *args: str) -> subprocess.CompletedProcess:
    """`python -m scripts.admin ...` against the test stack's broker (as its administrator)
    and databases."""
    env = {
        **os.environ,
        "AMQP_URI": stack.amqp_uri,
        "MONGO_URI": stack.mongo_uri,
        "MONGO_DB_PREFIX": stack.db_prefix,
        "LIANXIN_TOKEN_SECRET": TOKEN_SECRET,
        "ESTATE_PHONE_SECRET": ESTATE_PHONE_SECRET,
        # the CLI's queries join the services' in the stack's query log (test_zz_store_queries)
        "LIANXIN_QUERY_LOG": stack.env.get("LIANXIN_QUERY_LOG", ""),
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "scripts.admin", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        # a deadline, not a wait: the sample import takes ~10 s alone and several times that
        # on a 2-core machine shared with other stacks; past this the CLI has hung
        timeout=180,
    )


@pytest.fixture(scope="session")
def admin_key(stack) -> str:
    """The first admin key, made as an operator makes it: with the CLI."""
    made = admin_cli(
        stack, "keys", "create", "--name", "e2e-admin", "--scope", "admin", "--community", "*"
    )
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    wait_replicated(stack, key.split("_")[1])  # cases publishes it, within a second
    return key


class Keys:
    """Issues keys through the admin API and waits until every service accepts them."""

    def __init__(self, stack: Stack, admin_key: str, db: Callable[[str], Any]):
        self._stack = stack
        self._admin = admin_key
        self._db = db

    @property
    def db(self) -> Callable[[str], Any]:
        return self._db

    @property
    def admin(self) -> str:
        return self._admin

    def issue(
        self,
        scopes: Iterable[str],
        communities: Iterable[str],
        person_id: str | None = None,
        role: str | None = None,
        name: str = "e2e",
        channels: Iterable[str] | None = None,
        hotline_id: str | None = None,
        by: str | None = None,
    ) -> str:
        """A key from the admin API (or from the key `by`), once every service has it."""
        body: dict[str, Any] = {
            "name": name,
            "scopes": list(scopes),
            "communities": list(communities),
        }
        if person_id:
            body |= {"person_id": person_id, "role": role}
        if channels is not None:
            body["channels"] = list(channels)
        if hotline_id is not None:
            body["hotline_id"] = hotline_id
        response = requests.post(
            f"{self._stack.url('cases')}/v1/keys",
            json=body,
            headers={"X-Api-Key": by or self._admin},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        issued = response.json()
        self.wait_replicated(issued["id"])
        return issued["key"]

    def revoke(self, key_text: str) -> None:
        key_id = key_text.split("_")[1]
        response = requests.post(
            f"{self._stack.url('cases')}/v1/keys/{key_id}/revoke",
            headers={"X-Api-Key": self._admin},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        wait_until(
            "the revocation in every service",
            lambda: all(
                (self._db(service)["api_keys"].find_one({"_id": key_id}) or {}).get("revoked_at")
                for service in key_holders()
            ),
        )

    def person_token(self, person_id: str, role: str, communities: Iterable[str]) -> str:
        response = requests.post(
            f"{self._stack.url('cases')}/v1/person-tokens",
            json={"person_id": person_id, "role": role, "communities": list(communities)},
            headers={"X-Api-Key": self._admin},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        return response.json()["token"]

    def wait_replicated(self, key_id: str) -> None:
        wait_replicated(self._stack, key_id)


@pytest.fixture(scope="session")
def keys(stack, admin_key, db) -> Keys:
    return Keys(stack, admin_key, db)


def client(key: str, person_token: str | None = None) -> requests.Session:
    """A session that sends `key` (and the person acting, if any) with every request."""
    session = requests.Session()
    session.headers["X-Api-Key"] = key
    if person_token:
        session.headers["X-Lianxin-Person"] = person_token
    return session


# The helpers above (report_case, get_case, stats) act through one key per stack, issued
# the first time one is used: scopes report, read and act in every community, every
# channel, bound to a hotline of its own (no admin, so what they see is masked). And a
# test community exists only once its areas are published: ensure_community publishes
# them as roster does (`area.changed`), from sample_areas.yaml, and waits until cases
# knows every one. Any test may use both.

SAMPLE_AREAS = Path(__file__).with_name("sample_areas.yaml")


def helper_headers(stack: Stack) -> dict[str, str]:
    key = getattr(stack, "helper_key", None)
    if key is None:
        channels = [arg for channel in CHANNELS for arg in ("--channel", channel)]
        made = admin_cli(
            stack, "keys", "create", "--name", "e2e-helpers", "--community", "*",
            "--scope", "report", "--scope", "read", "--scope", "act",
            "--hotline", "e2e-12345", *channels,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        key = made.stdout.strip().splitlines()[-1]
        wait_replicated(stack, key.split("_")[1])  # cases publishes it, within a second
        stack.helper_key = key
    return {"X-Api-Key": key}


@functools.cache
def key_holders() -> tuple[str, ...]:
    """The services that know API keys: cases, which issues them, and each that keeps a
    replica (lianxin.access.replicas.KeyReplica). The console takes no key: it keeps none."""
    return tuple(
        service
        for service, cls in service_classes().items()
        if service == "cases" or hasattr(cls, "on_api_key_changed")
    )


def wait_replicated(stack: Stack, key_id: str) -> None:
    """Until every service that takes keys has the key: the CLI writes it to cases'
    database, and cases' own relay publishes `apikey.changed` to the others."""
    with MongoClient(stack.mongo_uri) as client:
        wait_until(
            f"key {key_id} in every service",
            lambda: all(
                client[f"{stack.db_prefix}{service}"]["api_keys"].find_one({"_id": key_id})
                for service in key_holders()
            ),
        )


def area_events(community: str, version: int = 1) -> list[dict[str, Any]]:
    """`area.changed` for every node of a test community, the community itself last (cases
    counts a community as known once its node is in: by then, so is all below it)."""
    import yaml

    sample = yaml.safe_load(SAMPLE_AREAS.read_text(encoding="utf-8"))
    nodes = []

    def node(code, kind, parent, name, **extra):
        nodes.append(
            {"code": code, "kind": kind, "parent": parent, "community_id": community,
             "name": name, **extra}
        )  # fmt: skip

    for grid in sample["grids"]:
        polygon = [{"lat": lat, "lon": lon} for lat, lon in grid["polygon"]]
        node(grid["code"], "grid", community, grid["name"], polygon=polygon)
        for estate in grid["estates"]:
            node(estate["code"], "estate", grid["code"], estate["name"])
            for building in estate["buildings"]:
                node(building["code"], "building", estate["code"], building["name"])
                for code, name in building["units"]:
                    node(code, "unit", building["code"], name)
    node(community, "community", None, f"测试社区 {community}", timezone=sample["timezone"])
    return [
        {
            "event_id": str(uuid.uuid4()),
            "type": "area.changed",
            "version": 1,
            "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
            "correlation_id": f"areas-{community}",
            "case_id": None,
            "payload": {"node": item, "removed": False, "area_version": version},
        }
        for item in nodes
    ]


def publish_events(stack: Stack, source: str, messages: Iterable[dict[str, Any]]) -> None:
    """Put events on the bus as the source service's relay would: as its broker user,
    with `user_id` and confirms."""
    from kombu import Exchange

    exchange = Exchange(f"{source}.events", type="topic", durable=True)
    uri = stack.broker_users.uri(stack.amqp_uri, source)
    with Connection(uri, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        for message in messages:
            producer.publish(
                message,
                exchange=exchange,
                routing_key=message["type"],
                serializer="json",
                user_id=stack.broker_users.user(source),
                retry=True,
            )


def person_changed(
    person_id: str,
    community: str,
    roles: Iterable[str],
    *,
    active: bool = True,
    version: int = 1,
    access_since: str | None = None,
) -> dict[str, Any]:
    """`person.changed` as roster publishes it, for a person of a test community."""
    payload = {
        "person_id": person_id,
        "community_id": community,
        "display_name": "测**",
        "roles": list(roles),
        "teams": ["repair_crew"],
        "home_grids": ["jingxiang-g1"],
        "contacts": [],
        "quiet_hours": None,
        "active": active,
        "person_version": version,
        # roster always sends it; a test that gives none stands for an earlier release's
        # event, which had none to send
        **({"access_since": access_since} if access_since is not None else {}),
    }
    return {
        "event_id": str(uuid.uuid4()),
        "type": "person.changed",
        "version": 1,
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "correlation_id": f"people-{community}",
        "case_id": None,
        "payload": payload,
    }


def ensure_people(
    stack: Stack, db: Callable[[str], Any], events: Iterable[dict[str, Any]]
) -> None:
    """Publish people as roster does and wait until every service's access replica has
    them at that version: a person token, a person-bound key or an assignment names
    someone the roster knows."""
    events = list(events)
    publish_events(stack, "roster", events)

    def replicated() -> bool:
        return all(
            (db(service)["person_access"].find_one({"_id": event["payload"]["person_id"]}) or {})
            .get("person_version", 0)
            >= event["payload"]["person_version"]
            for service in SERVICES
            for event in events
        )

    wait_until("the people in every service's access replica", replicated)


def ensure_community(stack: Stack, community: str) -> None:
    """Publish a test community's areas once per stack and wait until cases knows them."""
    known = stack.__dict__.setdefault("known_communities", set())
    if community in known:
        return
    expected = {event["payload"]["node"]["code"] for event in area_events(community)}
    publish_events(stack, "roster", area_events(community))

    def listed() -> bool:
        answer = requests.get(
            f"{stack.url('cases')}/v1/areas/{community}", headers=helper_headers(stack), timeout=5
        )
        codes = {area["code"] for area in answer.json().get("areas", [])} | {community}
        return answer.status_code == 200 and codes >= expected

    wait_until(f"cases to know the areas of {community}", listed)
    known.add(community)
