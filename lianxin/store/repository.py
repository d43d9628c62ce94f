"""A service's parts, built once per process from its StoreContext.

Every service has one composition root, `services/<name>/compose.py`, whose
`build(context)` returns the service's `Parts`: its repository (`.store`) and the reference
data and collaborators built with it. `PartsProvider(build)` calls it at container start,
on the process's one client (lianxin.store.database), makes the indexes, and injects the
parts into workers (`self.parts.store`). The repository gets leases and an outbox
publisher bound to the service's own event exchange, so it can keep its aggregates
(lianxin.store.typed.Aggregates). A test builds the same parts on a context of the
in-memory twin (`StoreContext.on` a lianxin.store.memory database).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, MongoClient
from pymongo.database import Database

from lianxin.bus.outbox import OutboxPublisher, Publish
from lianxin.config import Settings
from lianxin.store.aggregates import AggregateStore, TakeoverRepair
from lianxin.store.database import ServiceDatabase
from lianxin.store.engine import ConditionalWrites, Engine
from lianxin.store.lease import Leases


@dataclass
class StoreContext:
    db: Database
    engine: Engine
    writes: ConditionalWrites
    leases: Leases
    publish: Publish
    settings: Settings
    config: dict[str, Any]

    @classmethod
    def on(
        cls,
        db: Database,
        engine: Engine,
        settings: Settings,
        config: dict[str, Any],
        publish: Publish,
        clock: Callable[[], float] = time.time,
    ) -> StoreContext:
        """The context of a service's database, leases timed by `clock`."""
        writes = ConditionalWrites(engine)
        leases = Leases(
            db["leases"], writes, settings.lease_ttl_seconds, settings.lease_wait_seconds, clock
        )
        return cls(db, engine, writes, leases, publish, settings, config)

    def aggregates(
        self, collection: str, on_takeover: TakeoverRepair | None = None
    ) -> AggregateStore:
        """A collection's aggregates as plain documents; a repository keeps them through
        their typed face, lianxin.store.typed.Aggregates, which is built on this."""
        return AggregateStore(
            self.db[collection], self.leases, self.writes, self.publish, on_takeover
        )


class Parts(Protocol):
    """What a composition root builds: at start its indexes are made (where the engine
    reads them) and, on every sweep, the outboxes its aggregates left are published."""

    def ensure_indexes(self) -> None: ...
    def recover(self) -> int: ...


def build_context(
    settings: Settings,
    config: dict[str, Any],
    client: MongoClient,
    publish: Publish | None = None,
    engine: Engine | None = None,
) -> StoreContext:
    """`engine`: what the engine guarantees, when the caller knows (asked otherwise)."""
    db = client[settings.database]
    engine = engine or Engine.detect(db, settings.mongo_engine)
    publish = publish or OutboxPublisher(settings.amqp_uri, settings.service)
    return StoreContext.on(db, engine, settings, config, publish)


def ensure_indexes(context: StoreContext, parts: Parts) -> None:
    """The secondary indexes that serve the queries docs/store-queries.md lists, where the
    engine reads them. Not on FerretDB: it reads none there, yet SQLite keeps each up to
    date on every write (`python -m scripts.bench.command_cost --listing-indexes`: 1.25
    against 0.97 ms of FerretDB's CPU per by-`_id` command with the cases listing's seven).
    The `_id` index is the engine's own. The original design had every service make every
    index on every engine; that FerretDB accepts them is checked by
    tests/e2e/test_zz_store_queries.py, which makes them there through the MongoDB path."""
    if not context.engine.reads_secondary_indexes:
        return
    context.db["leases"].create_index([("collection", ASCENDING)])  # Leases.stale
    parts.ensure_indexes()


def parts_of(container) -> Any:
    """The parts PartsProvider built for this service container: the dependencies that
    share them (batches, gauges) take them from there rather than make their own."""
    return next(
        dependency.parts
        for dependency in container.dependencies
        if isinstance(dependency, PartsProvider)
    )


class PartsProvider(DependencyProvider):
    """The service's parts as its composition root builds them, on the process's one
    client (ServiceDatabase)."""

    database = ServiceDatabase()

    def __init__(self, build: Callable[[StoreContext], Parts]):
        self.build = build

    def setup(self) -> None:
        self.database.open()
        context = build_context(
            self.database.settings,
            dict(self.container.config),
            self.database.client,
            engine=self.database.engine(),
        )
        self.parts = self.build(context)
        ensure_indexes(context, self.parts)

    def get_dependency(self, worker_ctx) -> Parts:
        return self.parts
