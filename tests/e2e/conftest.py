"""The four services as separate processes against the real broker and database."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
import requests

from scripts.stack import SERVICES, Stack, declare_topology
from scripts.webhook_sink import Sink, handler_for

SIGNING_SECRET = "test-signing-secret"


def free_base_port() -> int:
    """A base port whose service ports (base+1..4, base+1101..1104) are all free."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1] % 20000 + 20000
        ports = [base + offset for offset in (1, 2, 3, 4, 1101, 1102, 1103, 1104)]
        if all(_free(port) for port in ports):
            return base
    raise RuntimeError("no free ports")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def wait_until(what: str, probe: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll until `probe` returns something truthy; fail with `what` after the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


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


@pytest.fixture(scope="session")
def stack(amqp_uri, db_prefix, mongo_client, sink, tmp_path_factory):
    stack = Stack(
        amqp_uri=amqp_uri,
        mongo_uri="mongodb://127.0.0.1:27017/",
        db_prefix=db_prefix,
        base_port=free_base_port(),
        state_dir=tmp_path_factory.mktemp("stack"),
        env={
            "NOTIFY_WEBHOOK_URL": sink.url,
            "NOTIFY_SIGNING_SECRET": SIGNING_SECRET,
            "LEASE_TTL_SECONDS": "3",
            "HANDLER_RETRY_BASE_SECONDS": "0.2",
            "HANDLER_MAX_ATTEMPTS": "4",
            "LOG_LEVEL": "WARNING",
        },
    )
    declare_topology(amqp_uri)
    for service in SERVICES:
        stack.start(service)
    try:
        stack.wait_ready(list(SERVICES))
        yield stack
    finally:
        for service in SERVICES:
            stack.stop(service)


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
    response = requests.post(
        f"{stack.url('cases')}/v1/cases", json=report_body(community, **overrides), timeout=10
    )
    assert response.status_code == 201, response.text
    return response.json()


def get_case(stack: Stack, case_id: str) -> dict[str, Any]:
    return requests.get(f"{stack.url('cases')}/v1/cases/{case_id}", timeout=5).json()


def wait_for_state(stack: Stack, case_id: str, state: str, timeout: float = 30.0) -> dict:
    return wait_until(
        f"case {case_id} to be {state}",
        lambda: (case := get_case(stack, case_id))["state"] == state and case,
        timeout,
    )


def stats(stack: Stack, community: str) -> dict[str, int]:
    response = requests.get(
        f"{stack.url('metrics')}/v1/stats/summary", params={"community_id": community}, timeout=5
    )
    return response.json()["totals"]


def webhooks_for(sink: Sink, case_id: str) -> list[dict]:
    with sink.lock:
        return [hook for hook in sink.received if hook["body"]["case_id"] == case_id]
