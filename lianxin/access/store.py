"""The access room's Mongo: keys and people's access read by `_id` with a short cache, and
the replicas' writes.

Every service keeps, in its own database, the keys (the cases service owns them, the
others replicate them) and a replica of the people's access. Both are read on every
request by `_id`, so a short cache (CACHE_SECONDS) bounds how long a revocation, a
deactivation or a change of role may go unnoticed once its event is in.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any

from nameko.extensions import DependencyProvider
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from lianxin.access.keys import KEYS_COLLECTION, KeyRecord
from lianxin.access.person_access import PERSON_ACCESS_COLLECTION, PersonAccess, merged
from lianxin.store.aggregates import AggregateStore
from lianxin.store.database import ServiceDatabase
from lianxin.store.engine import ConditionalWrites
from lianxin.store.lease import Leases

CACHE_SECONDS = 2.0  # how long a revoked key may still pass, at most, once its event is in


class RecentReads:
    """Documents read by `_id`, kept CACHE_SECONDS: how long a revocation, a deactivation
    or a change of role may still go unnoticed once its event is in, at most."""

    def __init__(self, collection: Collection, parse: Callable[[Mapping[str, Any]], Any]):
        self._collection = collection
        self._parse = parse
        self._cache: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any:
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        document = self._collection.find_one({"_id": key})
        found = self._parse(document) if document else None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (now, found)
        return found


class AccessReplicaStore(DependencyProvider):
    """A service's copies of what access is judged by: the keys the cases service issues
    (every service but cases) and the people's access roster publishes (every service).

    Keys never change except to be revoked, and a revocation is final, so key events
    apply in any order: a key is inserted if absent, and a revoked state overwrites
    whatever is there. A person's access moves by `person_version`, under the person's
    lease (its own leases collection, as nothing here has an outbox), so that two
    replicas applying two versions at once keep the newer."""

    database = ServiceDatabase()

    def setup(self) -> None:
        self.database.open()
        database = self.database.database
        settings = self.database.settings
        writes = ConditionalWrites(self.database.engine())
        leases = Leases(
            database[f"{PERSON_ACCESS_COLLECTION}_leases"],
            writes,
            settings.lease_ttl_seconds,
            settings.lease_wait_seconds,
        )
        self._keys = database[KEYS_COLLECTION]
        self._people = AggregateStore(
            database[PERSON_ACCESS_COLLECTION], leases, writes, _no_outbox
        )
        self._read_people = RecentReads(
            database[PERSON_ACCESS_COLLECTION], PersonAccess.from_document
        )

    def get_dependency(self, worker_ctx) -> AccessReplicaStore:
        return self

    def apply_key(self, record: KeyRecord) -> None:
        document = record.to_document()
        if record.revoked_at is not None:
            self._keys.replace_one({"_id": record.id}, document, upsert=True)
            return
        with contextlib.suppress(DuplicateKeyError):  # known already, perhaps revoked
            self._keys.insert_one(document)

    def apply_person(self, access: PersonAccess) -> None:
        with self._people.change(access.person_id) as change:
            stored = PersonAccess.from_document(change.document) if change.document else None
            kept = merged(stored, access)
            if kept is not None:
                change.save(kept.to_document())

    def person(self, person_id: str) -> PersonAccess | None:
        """A person's access as last replicated, read by `_id` (cached as the key ring's)."""
        return self._read_people.get(person_id)


def _no_outbox(message: Mapping[str, Any]) -> None:
    raise AssertionError("the access replica emits no events")  # pragma: no cover


def _no_outbox(message: Mapping[str, Any]) -> None:
    raise AssertionError("the access replica emits no events")  # pragma: no cover
