"""The copies of what access is judged by, kept by every service from their owners' events.

The cases service owns the keys and publishes `apikey.changed`; every other service keeps
a replica in its own database (KeyReplica), and every service keeps one of the people's
access (PersonAccessReplica), each fed only by events that the source's broker user
published (lianxin.bus.consumer, `from_source_only`): anyone else who could put one on
the bus would otherwise mint keys or make someone staff.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from nameko.extensions import DependencyProvider
from pymongo.errors import DuplicateKeyError

from lianxin.access.keyring import KeyRing
from lianxin.access.keys import KEY_EVENTS, KEYS_COLLECTION, KeyRecord
from lianxin.access.person_access import (
    PERSON_ACCESS_COLLECTION,
    PersonAccess,
    PersonAccessChanged,
    merged,
)
from lianxin.bus.consumer import event_handler
from lianxin.bus.envelope import PayloadSchemas
from lianxin.store.aggregates import AggregateStore
from lianxin.store.engine import ConditionalWrites, Engine
from lianxin.store.lease import Leases


class AccessReplicaStore(DependencyProvider):
    """A service's copies of what access is judged by: the keys the cases service issues
    (every service but cases) and the people's access roster publishes (every service).

    Keys never change except to be revoked, and a revocation is final, so key events
    apply in any order: a key is inserted if absent, and a revoked state overwrites
    whatever is there. A person's access moves by `person_version`, under the person's
    lease (its own leases collection, as nothing here has an outbox), so that two
    replicas applying two versions at once keep the newer."""

    keyring = KeyRing()

    def setup(self) -> None:
        self.keyring.open()
        database = self.keyring.database
        settings = self.keyring.settings
        writes = ConditionalWrites(Engine.detect(database, settings.mongo_engine))
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
        return self.keyring.person(person_id)


def _no_outbox(message: Mapping[str, Any]) -> None:
    raise AssertionError("the access replica emits no events")  # pragma: no cover


PERSON_EVENTS = PayloadSchemas({("person.changed", 1): PersonAccessChanged()})


class PersonAccessReplica:
    """Mixed into every service: keeps the people's access up to date, so a person token,
    a person-bound key or a signed link of someone deactivated, or whose role changed,
    is refused here within seconds of roster saying so."""

    access_replica = AccessReplicaStore()

    @event_handler("roster", "person.changed", from_source_only=True)
    def on_person_access_changed(self, message):
        self.access_replica.apply_person(PERSON_EVENTS.read(message).payload)


class KeyReplica(PersonAccessReplica):
    """Mixed into every service but cases: keeps the key replica up to date. A revoked
    key is refused as soon as the event is applied and the KeyRing's short cache ends."""

    @event_handler("cases", "apikey.changed", from_source_only=True)
    def on_api_key_changed(self, message):
        self.access_replica.apply_key(KEY_EVENTS.read(message).payload)
