"""The broker as a trust boundary on the running services, each connected as its own
RabbitMQ user: only notify may act on a case over RPC (`cases.perform_action`, what a
signed link does)."""

from __future__ import annotations

import uuid

import pytest
from amqp.exceptions import AccessRefused
from kombu import Connection, Exchange
from nameko.standalone.rpc import ClusterRpcProxy, StandaloneProxyBase

pytestmark = pytest.mark.e2e


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


@pytest.mark.parametrize("service", ["roster", "metrics"])
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
