"""What each service's RabbitMQ user may do, read from deploy/rabbitmq/definitions.sh and
checked against what the code declares, publishes and consumes (no broker: the test of
the same users on a real one is test_broker_access.py); the compose file's users; and
how a consumer tells who first published a message."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from lianxin.bus import delays, topology
from lianxin.bus.consumer import PUBLISHER_HEADER, publisher_of
from scripts.broker_users import BrokerUsers
from scripts.stack import SERVICES, service_classes

ROOT = Path(__file__).resolve().parents[2]
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


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_runs_each_service_as_its_own_broker_user_and_knows_no_guest():
    services = compose()["services"]
    assert "guest" not in yaml.safe_dump(compose())  # comments aside
    for service in SERVICES:
        uri = services[service]["environment"]["AMQP_URI"]
        variable = f"RABBITMQ_{service.upper()}_PASSWORD"
        assert uri == f"amqp://lianxin-{service}:${{{variable}:-}}@rabbitmq:5672/"
        assert services[service]["environment"]["BROKER_USER_PREFIX"] == "lianxin-"
        assert variable in services["rabbitmq"]["environment"]
    assert services["topology"]["environment"]["AMQP_URI"].startswith("amqp://lianxin-admin:")
    assert "AMQP_URI" not in services["roster-import"]["environment"]  # roster publishes


def message(exchange: str, user_id: str | None = None, **headers):
    properties = {"user_id": user_id} if user_id is not None else {}
    return SimpleNamespace(
        properties=properties, headers=headers, delivery_info={"exchange": exchange}
    )


SOURCES = ["cases.events"]


def test_a_first_delivery_is_from_whoever_the_broker_says_published_it():
    assert publisher_of(message("cases.events", "lianxin-cases"), SOURCES) == "lianxin-cases"
    assert publisher_of(message("cases.events"), SOURCES) == ""


def test_a_first_delivery_cannot_name_its_publisher_in_a_header():
    forged = message("cases.events", "guest", **{PUBLISHER_HEADER: "lianxin-cases"})
    assert publisher_of(forged, SOURCES) == "guest"


def test_on_the_consumers_own_path_the_first_publisher_travels_in_the_header():
    retried = message("notify.queues", "lianxin-notify", **{PUBLISHER_HEADER: "lianxin-cases"})
    assert publisher_of(retried, SOURCES) == "lianxin-cases"
    refused = message("", None, **{PUBLISHER_HEADER: ""})  # a replayed refusal
    assert publisher_of(refused, SOURCES) == ""
    parked_by_broker = message("", "lianxin-cases")  # its delivery limit, then replayed
    assert publisher_of(parked_by_broker, SOURCES) == "lianxin-cases"


def test_a_services_uri_keeps_the_brokers_host_and_vhost_with_the_services_own_user():
    users = BrokerUsers("lianxin-t1-", {"cases": "p@ss/word", "roster": "x" * 32})
    uri = users.uri("amqp://guest:guest@127.0.0.1:5672/lianxin-test-1", "cases")
    assert uri == "amqp://lianxin-t1-cases:p%40ss%2Fword@127.0.0.1:5672/lianxin-test-1"
    assert users.uri("amqp://rabbitmq:5672/", "roster").startswith("amqp://lianxin-t1-roster:")


def test_the_local_passwords_are_read_as_infra_sh_writes_them(tmp_path):
    path = tmp_path / "broker-passwords.env"
    path.write_text(
        "# RabbitMQ passwords of the local services' users (deploy/local/infra.sh)\n"
        + "".join(f"RABBITMQ_{s.upper()}_PASSWORD={s}-0123456789abcdef\n" for s in SERVICES)
    )
    users = BrokerUsers.from_file(SERVICES, path)
    assert users.user("notify") == "lianxin-notify"
    assert users.passwords["notify"] == "notify-0123456789abcdef"
    path.write_text("RABBITMQ_CASES_PASSWORD=only-one-of-them-here\n")
    with pytest.raises(RuntimeError, match="make infra"):
        BrokerUsers.from_file(SERVICES, path)
    with pytest.raises(RuntimeError, match="make infra"):
        BrokerUsers.from_file(SERVICES, tmp_path / "missing.env")
