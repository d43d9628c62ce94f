"""The process's one connection to MongoDB, and its service's database.

A MongoClient is a pool of connections with its own monitor of the servers: one per
process is what pymongo is built for. `ServiceDatabase` is that one, a nameko shared
extension: the repository (lianxin.store.repository.PartsProvider), the key ring and the
access replicas (lianxin.access) and the readiness probe (lianxin.http.health) each
declare it, and nameko gives them all the same instance. A command run outside the
services (lianxin.store.admin) makes its own with `connect`.
"""

from __future__ import annotations

from nameko.extensions import SharedExtension
from pymongo import MongoClient
from pymongo.database import Database

from lianxin.config import Settings
from lianxin.store.engine import Engine
from lianxin.store.query_log import QueryLog


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


class ServiceDatabase(SharedExtension):
    """The service process's client, settings and database, and what its engine
    guarantees (asked once)."""

    client: MongoClient | None = None
    _engine: Engine | None = None

    def setup(self) -> None:
        self.open()

    def open(self) -> None:
        """Idempotent: nameko sets extensions up concurrently, and those that use this one
        may need it before its own setup has run."""
        if self.client is not None:
            return
        self.settings = Settings.from_config(self.container.service_name, self.container.config)
        self.client = connect(self.settings)
        self.database: Database = self.client[self.settings.database]

    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = Engine.detect(self.database, self.settings.mongo_engine)
        return self._engine

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
