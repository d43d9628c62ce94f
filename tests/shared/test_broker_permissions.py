"""What each service's RabbitMQ user may do, read from deploy/rabbitmq/definitions.sh and
checked against what the code declares, publishes and consumes (no broker: the test of
the same users on a real one is test_broker_access.py)."""

from __future__ import annotations

import re

import pytest

from lianxin import delays, topology
from scripts.broker_users import BrokerUsers
from scripts.stack import SERVICES, service_classes

RPC = {"cases": ["rpc-cases", "nameko-rpc"], "notify": ["rpc.reply-notify-1f2e", "nameko-rpc"]}


@pytest.fixture(scope="module")
def permissions() -> dict[str, dict[str, str]]:
    users = BrokerUsers.fresh("lianxin-", SERVICES)
    found = users.definitions("/")["permissions"]
    return {entry["user"].removeprefix("lianxin-"): entry for entry in found}


def owned(service: str) -> list[str]:
    """Every exchange and queue name the service declares and writes to."""
    queues = topology.consumed_sources(service, service_classes()[service])
    return [
        f"{service}.events",
        delays.queues_exchange(service).name,
        *(delays.tier_name(service, seconds) for seconds in delays.DELAY_TIERS_SECONDS),
        *queues,
        *(f"{queue}.dead" for queue in queues),
    ]


def consumed_exchanges(service: str) -> set[str]:
    bound = topology.consumed_sources(service, service_classes()[service]).values()
    return {f"{source.service}.events" for sources in bound for source in sources}


def allows(pattern: str, name: str) -> bool:
    return re.search(pattern, name) is not None  # as RabbitMQ matches: a search


@pytest.mark.parametrize("service", list(SERVICES))
def test_a_service_configures_and_writes_what_it_owns_and_nothing_else(permissions, service):
    mine = [*owned(service), *RPC.get(service, [])]
    theirs = [
        name
        for other in SERVICES
        if other != service
        for name in [*owned(other), *RPC.get(other, [])]
        if name not in mine
    ]
    for kind in ("configure", "write"):
        pattern = permissions[service][kind]
        assert [name for name in mine if not allows(pattern, name)] == [], kind
        assert [name for name in theirs if allows(pattern, name)] == [], kind
        for name in ("amq.default", "lianxin.delay.1s", "rpc.reply-roster-1f2e"):
            assert not allows(pattern, name), (kind, name)


@pytest.mark.parametrize("service", list(SERVICES))
def test_a_service_reads_what_it_owns_and_the_events_it_consumes(permissions, service):
    pattern = permissions[service]["read"]
    wanted = [*owned(service), *RPC.get(service, []), *consumed_exchanges(service)]
    assert [name for name in wanted if not allows(pattern, name)] == []
    others = [name for other in SERVICES if other != service for name in owned(other)]
    unread = [name for name in others if name not in consumed_exchanges(service)]
    assert [name for name in unread if allows(pattern, name)] == []


def test_rpc_is_open_to_notify_and_cases_only(permissions):
    for service in SERVICES:
        reaches = allows(permissions[service]["write"], "nameko-rpc")
        assert reaches is (service in ("cases", "notify")), service
