"""One MongoClient per service process: the repository, the key ring, the access replicas
and the readiness probe share it (lianxin.store.database.ServiceDatabase).

Each service's container is started in a process of its own (client_probe.py), on the real
FerretDB and RabbitMQ, and counts the clients made while it starts and answers a readiness
check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.stack import SERVICES, declare_topology
from tests.conftest import MONGO_URI

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def topology(amqp_uri) -> str:
    """Every exchange and queue the services bind to, declared as the deploy step does."""
    declare_topology(amqp_uri)
    return amqp_uri


@pytest.mark.parametrize("service", list(SERVICES))
def test_a_service_process_makes_one_mongo_client(topology, db_prefix, service):
    env = {
        **os.environ,
        "AMQP_URI": topology,  # the administrator: this test is about the database
        "MONGO_URI": MONGO_URI,
        "MONGO_DB_PREFIX": f"{db_prefix}one_",
        "WEB_SERVER_ADDRESS": "127.0.0.1:0",
        "METRICS_ADDRESS": "",
        "LIANXIN_DEV_MODE": "true",
        "LIANXIN_QUERY_LOG": "",
    }
    probe = subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "tests.shared.client_probe", service],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr[-3000:]
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    assert found["clients"] == 1
    assert found["checks"]["database"]["ok"] is True
