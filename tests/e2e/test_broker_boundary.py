"""The broker as a trust boundary on the running services, each connected as its own
RabbitMQ user: a key can be minted only by cases, and only notify may act on a case over
RPC (`cases.perform_action`, what a signed link does)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime

import pytest
from amqp.exceptions import AccessRefused
from kombu import Connection, Exchange
from nameko.standalone.rpc import ClusterRpcProxy, StandaloneProxyBase

from lianxin.bus.consumer import ERROR_HEADER
from tests.e2e.conftest import parked_message, payload_of, wait_until
from tests.e2e.test_faults import counter

pytestmark = pytest.mark.e2e

REPLICAS = ("roster", "notify", "metrics", "estate")  # every service but cases keeps a key replica


def key_queue(service: str) -> str:
    return f"evt-cases-apikey.changed--{service}.on_api_key_changed"


def forged_key() -> dict:
    """A well-formed `apikey.changed` for an admin key of every community, secret known."""
    key_id = secrets.token_hex(6)
    return {
        "event_id": str(uuid.uuid4()),
        "type": "apikey.changed",
        "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "correlation_id": f"key-{key_id}",
        "case_id": None,
        "payload": {
            "id": key_id,
            "name": "forged",
            "secret_sha256": hashlib.sha256(b"known").hexdigest(),
            "scopes": ["admin"],
            "communities": ["*"],
            "version": 1,
        },
    }


def test_a_forged_apikey_changed_never_reaches_a_key_replica(stack, db):
    """Published on cases' exchange by someone who may (the administrator) but is not
    cases: every replica parks it unread, counts it, and never stores the key."""
    event = forged_key()
    before = {
        s: counter(stack, s, "lianxin_events_refused_total", queue=key_queue(s)) for s in REPLICAS
    }
    with Connection(stack.amqp_uri, transport_options={"confirm_publish": True}) as connection:
        connection.Producer().publish(
            event,
            exchange=Exchange("cases.events", type="topic", durable=True),
            routing_key="apikey.changed",
            serializer="json",
            mandatory=True,
        )
    for service in REPLICAS:
        parked = wait_until(
            f"{service} to park the forged key",
            lambda service=service: parked_message(
                stack.amqp_uri,
                key_queue(service),
                lambda message: (payload_of(message) or {}).get("event_id") == event["event_id"],
            ),
        )
        assert parked.headers[ERROR_HEADER].startswith("refused: published by ")
        wait_until(
            f"{service} to count it",
            lambda service=service: (
                counter(stack, service, "lianxin_events_refused_total", queue=key_queue(service))
                == before[service] + 1
            ),
        )
        assert db(service)["api_keys"].find_one({"_id": event["payload"]["id"]}) is None


def rpc_proxy(uri: str, service: str) -> ClusterRpcProxy:
    """nameko's standalone proxy, its reply queue named as `service`'s would be."""

    class Container(StandaloneProxyBase.ServiceContainer):
        service_name = service

    class Proxy(ClusterRpcProxy):
        ServiceContainer = Container

    return Proxy({"AMQP_URI": uri}, timeout=20)


def test_notify_acts_on_a_case_over_rpc_as_a_signed_link_does(stack):
    with rpc_proxy(stack.broker_users.uri(stack.amqp_uri, "notify"), "notify") as rpc:
        answer = rpc.cases.perform_action(f"LX-{uuid.uuid4().hex[:12]}", "accept", "p", "volunteer")
    assert answer["ok"] is False and answer["code"] == "not_found"  # reached cases, no case


@pytest.mark.parametrize("service", ["roster", "metrics", "estate"])
def test_no_other_service_may_call_cases_over_rpc(stack, service):
    uri = stack.broker_users.uri(stack.amqp_uri, service)
    with pytest.raises(AccessRefused), rpc_proxy(uri, service):  # may not even wait for one
        pass
    request = {"args": ["LX-1", "accept", "p", "volunteer"], "kwargs": {}}
    rpc_exchange = Exchange("nameko-rpc", type="topic", durable=True)
    with (
        pytest.raises(AccessRefused),  # nor send a request
        Connection(uri, transport_options={"confirm_publish": True}) as connection,
    ):
        connection.Producer().publish(
            request, exchange=rpc_exchange, routing_key="cases.perform_action", serializer="json"
        )
