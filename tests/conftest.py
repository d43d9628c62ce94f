"""Fixtures for tests that use the real RabbitMQ and FerretDB started by `make infra`.

Each test session gets its own RabbitMQ vhost and its own database prefix and
removes both at the end, so runs never see each other's queues or data. It also gets
RabbitMQ users of its own, one per service with the permissions the services have in
production (scripts/broker_users.py), granted on the session's vhost; the tests themselves
probe and publish as the administrator (`guest`, local connections only).
"""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest
from kombu import Connection
from pymongo import MongoClient

from scripts.broker_users import BrokerUsers

AMQP_HOST_URI = os.environ.get("TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
MONGO_URI = os.environ.get("TEST_MONGO_URI", "mongodb://127.0.0.1:27017/")
pytest_plugins = [
    "tests.notify.fixtures",  # notify's real peers, for its e2e modules
    "tests.backends",  # the store backends: memory, FerretDB, MongoDB
    "tests.workers",  # how make test's workers share the tests
]

RUN_ID = uuid.uuid4().hex[:8]


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def broker_users() -> BrokerUsers:
    """The services' RabbitMQ users for this session (`lianxin-t<run>-cases`, ...); each
    vhost a stack runs on grants them (`broker_users.grant(vhost)`)."""
    from scripts.stack import SERVICES

    users = BrokerUsers.fresh(f"lianxin-t{RUN_ID}-", SERVICES)
    yield users
    users.remove()


def add_vhost(vhost: str) -> str:
    """A vhost on the real broker with the administrator allowed everything; its URI."""
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    return AMQP_HOST_URI.rstrip("/") + "/" + vhost


@pytest.fixture(scope="session")
def amqp_uri(broker_users) -> str:
    """A vhost of our own on the real broker, the services' users granted on it; deleted
    afterwards with everything in it."""
    vhost = f"lianxin-test-{RUN_ID}"
    try:
        with Connection(AMQP_HOST_URI, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:
        pytest.fail(f"RabbitMQ is not reachable at {AMQP_HOST_URI} ({exc}); run `make infra`")
    uri = add_vhost(vhost)
    broker_users.grant(vhost)
    yield uri
    rabbitmqctl("delete_vhost", vhost)


@pytest.fixture
def quiet_amqp_uri(amqp_uri: str) -> str:
    """A vhost for one test alone, for tests that count what waits in queues: the
    session vhost holds whatever earlier tests left in delay tiers and dead letters."""
    vhost = f"lianxin-test-{RUN_ID}-{uuid.uuid4().hex[:6]}"
    yield add_vhost(vhost)
    rabbitmqctl("delete_vhost", vhost)


def connect(uri: str) -> MongoClient:
    """A client of a test database server; the run fails at once while it is away."""
    client = MongoClient(uri, serverSelectionTimeoutMS=5000, tz_aware=True)
    try:
        client.admin.command("ping")
    except Exception as exc:
        pytest.fail(f"FerretDB/MongoDB is not reachable at {uri} ({exc}); run `make infra`")
    return client


@pytest.fixture(scope="session")
def mongo_client() -> MongoClient:
    client = connect(MONGO_URI)
    yield client
    for name in client.list_database_names():
        if name.startswith(f"t{RUN_ID}"):
            client.drop_database(name)
    client.close()


@pytest.fixture(scope="session")
def db_prefix() -> str:
    return f"t{RUN_ID}_"


@pytest.fixture
def test_db(mongo_client, db_prefix, request):
    """A fresh database for one test."""
    name = f"{db_prefix}{request.node.name[:20]}_{uuid.uuid4().hex[:6]}"
    name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name)
    yield mongo_client[name]
    mongo_client.drop_database(name)
