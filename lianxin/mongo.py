"""The Mongo dependency: one client per service process, one database per service.

`StoreProvider(factory)` builds the service's repository from a `StoreContext`
at container start, creates its indexes, and injects it into workers. The
repository gets leases and an outbox publisher bound to the service's own
event exchange, so it can offer `AggregateStore`s.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, MongoClient, monitoring
from pymongo.database import Database

from lianxin.aggregates import AggregateStore, TakeoverRepair
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

    def aggregates(
        self, collection: str, on_takeover: TakeoverRepair | None = None
    ) -> AggregateStore:
        return AggregateStore(
            self.db[collection], self.leases, self.writes, self.publish, on_takeover
        )


class Repository(Protocol):
    def ensure_indexes(self) -> None: ...
    def recover(self) -> int: ...


def connect(settings: Settings) -> MongoClient:
    """Fail fast while the database is away: HTTP answers 503 and consumers wait it out."""
    listeners = [QueryLog(settings.query_log)] if settings.query_log else []
    return MongoClient(
        settings.mongo_uri,
        serverSelectionTimeoutMS=settings.mongo_timeout_ms,
        connectTimeoutMS=settings.mongo_timeout_ms,
        connect=False,
        tz_aware=True,
        event_listeners=listeners,
    )


class QueryLog(monitoring.CommandListener):
    """Writes the shape of every filter a service sends (collection, command, field names,
    operators and sort; never a value) as JSON lines: the audit behind docs/store-queries.md,
    the list of the queries that are not by `_id`, which tests/e2e/test_zz_store_queries.py
    holds against the log of the e2e stack. Inserts are written too, with no filter, and
    every line has its time (`at`): `scripts.bench --command-log` counts them per case.
    Set QUERY_LOG to a file path to turn it on.

    `filter` is the filter's top-level keys; `fields` maps every field it names, through
    `$and`/`$or`/`$nor`, to the operators applied to it (`$eq` for a plain value)."""

    FILTERS: ClassVar[Mapping[str, str]] = {
        "find": "filter",
        "count": "query",
        "findAndModify": "query",
        "distinct": "query",
    }
    STATEMENTS: ClassVar[Mapping[str, tuple[str, str]]] = {
        "update": ("updates", "q"),
        "delete": ("deletes", "q"),
    }
    LOGICAL: ClassVar[frozenset[str]] = frozenset({"$and", "$or", "$nor"})

    def __init__(self, path: str):
        self._path = path
        self._lock = threading.Lock()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        collection = event.command.get(name)
        sort = self._sort(name, event.command)
        for query in self._filters(name, event.command):
            shape = {
                "db": event.database_name,
                "collection": collection,
                "command": name,
                "filter": sorted(query),
                "fields": self.fields(query),
                "sort": sort,
                "at": round(time.time(), 3),
            }
            with self._lock, open(self._path, "a", encoding="utf-8") as log:
                log.write(json.dumps(shape) + "\n")

    @classmethod
    def fields(cls, query: Mapping[str, Any]) -> dict[str, list[str]]:
        found: dict[str, set[str]] = {}
        for key, value in query.items():
            if key in cls.LOGICAL:
                for branch in value:
                    for field, operators in cls.fields(branch).items():
                        found.setdefault(field, set()).update(operators)
            elif isinstance(value, Mapping) and value and all(k.startswith("$") for k in value):
                found.setdefault(key, set()).update(value)
            else:
                found.setdefault(key, set()).add("$eq")
        return {field: sorted(operators) for field, operators in sorted(found.items())}

    def _filters(self, name: str, command: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        if name in self.FILTERS:
            return [command.get(self.FILTERS[name]) or {}]
        if name in self.STATEMENTS:
            field, key = self.STATEMENTS[name]
            return [statement.get(key) or {} for statement in command.get(field, [])]
        if name == "insert":
            return [{}]  # one line per command, whatever the number of documents
        if name == "aggregate":
            return [stage["$match"] for stage in command.get("pipeline", []) if "$match" in stage]
        return []

    @staticmethod
    def _sort(name: str, command: Mapping[str, Any]) -> list[list[Any]]:
        if name == "aggregate":
            stages = [stage["$sort"] for stage in command.get("pipeline", []) if "$sort" in stage]
            order = stages[0] if stages else {}
        else:
            order = command.get("sort") or {}
        return [[field, direction] for field, direction in order.items()]

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


def build_context(
    settings: Settings, config: dict[str, Any], client: MongoClient, publish: Publish | None = None
) -> StoreContext:
    db = client[settings.database]
    engine = Engine.detect(db, settings.mongo_engine)
    writes = ConditionalWrites(engine)
    leases = Leases(db["leases"], writes, settings.lease_ttl_seconds, settings.lease_wait_seconds)
    publish = publish or OutboxPublisher(settings.amqp_uri, settings.service)
    return StoreContext(db, engine, writes, leases, publish, settings, config)


def ensure_indexes(context: StoreContext, repository: Repository) -> None:
    """The secondary indexes that serve the queries docs/store-queries.md lists, where the
    engine reads them. Not on FerretDB: it reads none there, yet SQLite keeps each up to
    date on every write (`python -m scripts.bench.command_cost --listing-indexes`: 1.25
    against 0.97 ms of FerretDB's CPU per by-`_id` command with the cases listing's seven).
    The `_id` index is the engine's own. DESIGN.md has the service make every index on
    every engine; that FerretDB accepts them is checked by tests/e2e/test_zz_store_queries.py,
    which makes them there through the MongoDB path."""
    if not context.engine.reads_secondary_indexes:
        return
    context.db["leases"].create_index([("collection", ASCENDING)])  # Leases.stale
    repository.ensure_indexes()


class StoreProvider(DependencyProvider):
    def __init__(self, factory: Callable[[StoreContext], Repository]):
        self.factory = factory

    def setup(self) -> None:
        settings = Settings.from_config(self.container.service_name, self.container.config)
        self.client = connect(settings)
        context = build_context(settings, dict(self.container.config), self.client)
        self.repository = self.factory(context)
        ensure_indexes(context, self.repository)

    def stop(self) -> None:
        self.client.close()

    def get_dependency(self, worker_ctx) -> Repository:
        return self.repository
