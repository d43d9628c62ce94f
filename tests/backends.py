"""The store backends a test runs on: one parametrised fixture, `backend`, as eventsourcing
runs one test class against each of its recorders (registered as a pytest plugin in
tests/conftest.py).

- memory: the in-memory twin (lianxin.store.memory), a fresh database per test;
- ferretdb: the embedded server `make infra` runs, a database of the test's own;
- mongodb: the MongoDB TEST_MONGO_URI names, skipped with that reason when it names none.

A repository test takes `backend` and builds the repository on `backend.context(...)`,
so the same test holds every backend to the same contract. A handler or use-case test,
whose subject is not the store, takes `memory_backend`: the same repository, in
milliseconds.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.database import Database

from lianxin.bus.memory import MemoryPublisher
from lianxin.bus.outbox import Publish
from lianxin.config import Settings
from lianxin.store.engine import Engine
from lianxin.store.memory import MemoryClient
from lianxin.store.repository import StoreContext
from tests.conftest import connect

BACKENDS = (
    pytest.param("memory"),
    pytest.param("ferretdb", marks=pytest.mark.integration),
    pytest.param("mongodb", marks=pytest.mark.integration),
)
FERRETDB_URI = os.environ.get("TEST_FERRETDB_URI", "mongodb://127.0.0.1:27017/")
NO_MONGODB = "runs on MongoDB only when TEST_MONGO_URI names one"


class FakeClock:
    """Lease time that a test moves on by hand, so 'past its TTL' needs no sleeping."""

    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Backend:
    """One backend's database, what its engine guarantees, and the publisher every
    context built here shares, standing in for the broker."""

    name: str
    database: Database
    engine: Engine
    published: MemoryPublisher

    def context(
        self,
        service: str = "test",
        config: dict[str, Any] | None = None,
        *,
        lease_ttl_seconds: float = 10.0,
        lease_wait_seconds: float = 5.0,
        clock: Callable[[], float] = time.time,
        publish: Publish | None = None,
    ) -> StoreContext:
        """A service's store context on this backend's database. Each call is another
        process of the service: a second context shares the database and the publisher."""
        settings = Settings(
            service, lease_ttl_seconds=lease_ttl_seconds, lease_wait_seconds=lease_wait_seconds
        )
        published = publish or self.published
        return StoreContext.on(self.database, self.engine, settings, config or {}, published, clock)


def memory() -> Backend:
    """A backend on a fresh in-memory database."""
    database = MemoryClient()["lianxin_test"]
    return Backend("memory", database, Engine.detect(database), MemoryPublisher())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def memory_backend() -> Backend:
    return memory()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "memory":
        return memory()
    database = request.getfixturevalue(f"{request.param}_database")
    return Backend(request.param, database, Engine.detect(database), MemoryPublisher())


@pytest.fixture(scope="session")
def server_engine(mongo_client: MongoClient) -> Engine:
    """What the tests' server is: TEST_MONGO_URI's, by default the FerretDB of `make infra`."""
    return Engine.detect(mongo_client["admin"])


@pytest.fixture
def ferretdb_database(
    request: pytest.FixtureRequest, server_engine: Engine, db_prefix: str
) -> Iterator[Database]:
    """A database of the test's own on FerretDB: on the tests' server if it is FerretDB,
    else on TEST_FERRETDB_URI's."""
    if server_engine.name == "ferretdb":
        yield request.getfixturevalue("test_db")
        return
    client = request.getfixturevalue("ferretdb_client")
    name = f"{db_prefix}ferretdb_{uuid.uuid4().hex[:8]}"
    yield client[name]
    client.drop_database(name)


@pytest.fixture(scope="session")
def ferretdb_client() -> Iterator[MongoClient]:
    """FerretDB beside the MongoDB that TEST_MONGO_URI names."""
    client = connect(FERRETDB_URI)
    yield client
    client.close()


@pytest.fixture
def mongodb_database(request: pytest.FixtureRequest) -> Database:
    """A database of the test's own on the MongoDB that TEST_MONGO_URI names."""
    if not os.environ.get("TEST_MONGO_URI"):
        pytest.skip(f"TEST_MONGO_URI is not set: this test {NO_MONGODB}")
    engine = request.getfixturevalue("server_engine")
    if engine.name != "mongodb":
        pytest.skip(f"TEST_MONGO_URI names {engine.name}: this test {NO_MONGODB}")
    return request.getfixturevalue("test_db")
