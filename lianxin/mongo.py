"""The Mongo dependency: one client per service process, one database per service.

`StoreProvider(factory)` builds the service's repository from a `StoreContext`
at container start, creates its indexes, and injects it into workers. The
repository gets leases and an outbox publisher bound to the service's own
event exchange, so it can offer `AggregateStore`s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, MongoClient
from pymongo.database import Database

from lianxin import instrumentation
from lianxin.aggregates import AggregateStore
from lianxin.config import Settings
from lianxin.engine import ConditionalWrites, Engine
from lianxin.lease import Leases
from lianxin.outbox import OutboxPublisher, Publish


@dataclass
class StoreContext:
    db: Database
    engine: Engine
    writes: ConditionalWrites
    leases: Leases
    publish: Publish
    settings: Settings
    config: dict[str, Any]

    def aggregates(self, collection: str) -> AggregateStore:
        return AggregateStore(self.db[collection], self.leases, self.writes, self.publish)


class Repository(Protocol):
    def ensure_indexes(self) -> None: ...
    def recover(self) -> int: ...


def connect(settings: Settings) -> MongoClient:
    """Fail fast while the database is away: HTTP answers 503 and consumers wait it out."""
    return MongoClient(
        settings.mongo_uri,
        serverSelectionTimeoutMS=settings.mongo_timeout_ms,
        connectTimeoutMS=settings.mongo_timeout_ms,
        connect=False,
        tz_aware=True,
    )


def build_context(
    settings: Settings, config: dict[str, Any], client: MongoClient, publish: Publish | None = None
) -> StoreContext:
    db = client[settings.database]
    engine = Engine.detect(db, settings.mongo_engine)
    writes = ConditionalWrites(engine)
    leases = Leases(db["leases"], writes, settings.lease_ttl_seconds, settings.lease_wait_seconds)
    db["leases"].create_index([("collection", ASCENDING)])
    publish = publish or OutboxPublisher(settings.amqp_uri, settings.service)
    return StoreContext(db, engine, writes, leases, publish, settings, config)


class StoreProvider(DependencyProvider):
    def __init__(self, factory: Callable[[StoreContext], Repository]):
        self.factory = factory

    def setup(self) -> None:
        settings = Settings.from_config(self.container.service_name, self.container.config)
        self.client = connect(settings)
        context = build_context(settings, dict(self.container.config), self.client)
        self.repository = self.factory(context)
        self.repository.ensure_indexes()
        instrumentation.register_collector(
            instrumentation.OutboxBacklog(lambda: len(context.leases.stale()))
        )

    def stop(self) -> None:
        self.client.close()

    def get_dependency(self, worker_ctx) -> Repository:
        return self.repository
